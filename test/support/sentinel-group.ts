import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export const MASTER_NAME = 'netcheck-test';

export interface SentinelGroup {
  /** `redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/netcheck-test` */
  readonly url: string;
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** SIGKILL of the current primary (no shutdown, no last save): what a crashed host looks like. */
  killPrimary(): Promise<void>;
  /** Resolves with the port the sentinels name as master once it is `newPort`'s, or rejects after `ms`. */
  waitForMaster(port: number, ms: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Redis Sentinel deployment on loopback: a primary, one replica, and three sentinels
 * (`redis-server --sentinel`, quorum 2, `down-after-milliseconds` 1000) with their config files in
 * `dir`. Everything is killed by stop(), also when start-up fails half-way.
 */
export async function startSentinelGroup(dir: string): Promise<SentinelGroup> {
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const data = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const primary = await spawnServer(
      ['--port', String(primaryPort), ...data],
      'Ready to accept connections',
    );
    children.push(primary);
    children.push(
      await spawnServer(
        ['--port', String(replicaPort), ...data, '--replicaof', '127.0.0.1', String(primaryPort)],
        'Ready to accept connections',
      ),
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      sentinelPorts.push(port);
      const conf = path.join(dir, `sentinel-${i}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      children.push(await spawnServer([conf, '--sentinel'], '+monitor master'));
    }
    // Ready when every sentinel knows the replica (in sync) and the two other sentinels.
    await until('the sentinels to know each other and the replica', 30_000, async () => {
      for (const port of sentinelPorts) {
        const s = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await s.connect();
          const replicas = (await s.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as string[][];
          const sentinels = (await s.call('SENTINEL', 'SENTINELS', MASTER_NAME)) as string[][];
          const ok = replicas.some(
            (r) => field(r, 'port') === String(replicaPort) && field(r, 'flags') === 'slave',
          );
          if (!ok || sentinels.length < 2) return false;
        } finally {
          s.disconnect();
        }
      }
      return true;
    });
    const master = async (): Promise<number> => {
      const s = new Redis({
        port: sentinelPorts[0],
        host: '127.0.0.1',
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      try {
        await s.connect();
        const [, port] = (await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as string[];
        return Number(port);
      } finally {
        s.disconnect();
      }
    };
    return {
      url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${MASTER_NAME}`,
      primaryPort,
      replicaPort,
      killPrimary: async () => {
        const exited = once(primary, 'exit');
        primary.kill('SIGKILL');
        await exited;
      },
      waitForMaster: (port, ms) =>
        until(`the sentinels to name :${port} master`, ms, async () => (await master()) === port),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function field(row: string[], name: string): string | undefined {
  const i = row.indexOf(name);
  return i >= 0 ? row[i + 1] : undefined;
}

/** Polls a condition that has no event to await (sentinel gossip), every 100 ms, bounded. */
async function until(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function spawnServer(args: string[], readyLine: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server ${args.join(' ')} did not start:\n${output}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyLine)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server ${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}
