import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseKnownHosts } from '../../src/ssh/known-hosts.js';
import { sh } from '../../src/ssh/remote-command.js';
import type { SshError } from '../../src/ssh/ssh-error.js';
import { SshTransport, type SshTransportOptions } from '../../src/ssh/ssh-transport.js';
import { startSshd, type TestSshd } from '../support/sshd.js';

/**
 * A TCP relay in front of a real sshd stands in for the network and for the node's kernel: it can
 * "reboot" the node (the server side of every connection vanishes without a word, and the next
 * packet the worker sends is answered with a reset, as a rebooted kernel does), cut connections
 * outright, or freeze them (a half-open link: nothing comes back, nothing is closed).
 */
class Relay {
  private readonly pairs = new Set<{ inbound: Socket; outbound: Socket }>();
  /** Every socket ever opened, also those left frozen or half-dead, so that stop() leaves nothing open. */
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  /** Connections the worker opened through the relay. */
  opened = 0;
  port = 0;

  constructor(private readonly sshd: TestSshd) {}

  async start(): Promise<void> {
    this.server = createServer((inbound) => {
      this.opened += 1;
      const outbound = connect({ host: this.sshd.host, port: this.sshd.port });
      const pair = { inbound, outbound };
      this.sockets.add(inbound).add(outbound);
      this.pairs.add(pair);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      inbound.on('close', () => this.pairs.delete(pair));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  /** The node reboots: its side is gone; the worker learns it only when it next sends something. */
  reboot(): void {
    for (const { inbound, outbound } of this.pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      outbound.destroy();
      inbound.on('data', () => inbound.resetAndDestroy()).resume();
    }
    this.pairs.clear();
  }

  /** Both sides closed at once: a command running on them is cut off. */
  cut(): void {
    for (const { inbound, outbound } of this.pairs) {
      inbound.destroy();
      outbound.destroy();
    }
    this.pairs.clear();
  }

  /** The link goes silent: whatever the worker sends is swallowed, nothing is closed. */
  freeze(): void {
    for (const { inbound, outbound } of this.pairs) {
      inbound.unpipe(outbound);
      outbound.unpipe(inbound);
      inbound.on('data', () => undefined).resume();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('SSH transport: stale pooled connections', () => {
  let sshd: TestSshd;
  let seq = 0;
  const setups: { relay: Relay; transport: SshTransport }[] = [];

  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    for (const { relay, transport } of setups) {
      await transport.close();
      await relay.stop();
    }
    await sshd?.stop();
  });

  /** A transport reaching sshd through a fresh relay, and a log file on the "node" that counts runs. */
  const setup = async (extra: Partial<SshTransportOptions> = {}) => {
    const relay = new Relay(sshd);
    await relay.start();
    const warnings: string[] = [];
    const transport = new SshTransport({
      user: 'root',
      privateKey: sshd.privateKey,
      knownHosts: parseKnownHosts(sshd.knownHostsLine.replace(`]:${sshd.port} `, `]:${relay.port} `)),
      connectTimeoutMs: 2000,
      logger: { warn: (_obj, msg) => warnings.push(msg) },
      ...extra,
    });
    setups.push({ relay, transport });
    seq += 1;
    const log = `${sshd.dir}/runs-${seq}.log`;
    const runs = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    return {
      relay,
      transport,
      node: { name: 'node-x', host: '127.0.0.1', port: relay.port },
      log,
      runs,
      warnings,
    };
  };

  it('a read-only command on a connection left dead by a reboot runs once more on a fresh one', async () => {
    const { relay, transport, node, log, runs, warnings } = await setup();
    assert.equal((await transport.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    relay.reboot();
    const r = await transport.exec(node, sh`echo ran >> ${log}; echo ok`, {
      timeoutMs: 2000,
      retryOnStaleConnection: true,
    });
    assert.deepEqual({ code: r.exitCode, out: r.stdout }, { code: 0, out: 'ok\n' });
    assert.equal(await runs(), 1, 'the first try never reached the node');
    assert.equal(relay.opened, 2, 'one fresh connection');
    assert.equal(warnings.filter((w) => w.includes('running the read-only command again')).length, 1);
  });

  it('a remediation command (no opt-in) on a connection left dead by a reboot is not retried', async () => {
    const { relay, transport, node, log, runs } = await setup();
    assert.equal((await transport.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    relay.reboot();
    // Exactly what the executor passes (ExecutorDeps.exec takes only a timeout).
    await assert.rejects(
      transport.exec(node, sh`echo ran >> ${log}`, { timeoutMs: 2000 }),
      (e: SshError) => e.code === 'node-unreachable',
    );
    assert.equal(await runs(), 0);
    assert.equal(relay.opened, 1, 'no new connection was opened to run it again');
  });

  it('a command cut off mid-run is run again only with the opt-in', async () => {
    const { relay, transport, node, log, runs } = await setup();
    assert.equal((await transport.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    // Without the opt-in (a remediation step): reported as it is, never run twice.
    const step = transport.exec(node, sh`echo ran >> ${log}; sleep 3`, { timeoutMs: 5000 });
    while ((await runs()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));
    relay.cut();
    const cut = await step;
    assert.deepEqual({ code: cut.exitCode, timedOut: cut.timedOut }, { code: null, timedOut: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await runs(), 1, 'the step ran once');
    assert.equal(relay.opened, 1);

    // With it (a read-only probe): the second run, on a fresh connection, is the answer.
    assert.equal((await transport.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    const probe = transport.exec(
      node,
      sh`echo ran >> ${log}; [ "$(wc -l < ${log})" -ge 3 ] || sleep 3; echo ok`,
      {
        timeoutMs: 5000,
        retryOnStaleConnection: true,
      },
    );
    while ((await runs()) < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    relay.cut();
    const r = await probe;
    assert.deepEqual({ code: r.exitCode, out: r.stdout }, { code: 0, out: 'ok\n' });
    assert.equal(await runs(), 3);
  });

  it('a connection that never served a command is not retried: its failure is news about the node', async () => {
    const { relay, transport, node, log, runs } = await setup();
    await transport.connect(node);
    relay.reboot();
    await assert.rejects(
      transport.exec(node, sh`echo ran >> ${log}`, { timeoutMs: 2000, retryOnStaleConnection: true }),
      (e: SshError) => e.code === 'node-unreachable',
    );
    assert.equal(await runs(), 0);
    assert.equal(relay.opened, 1);
  });

  it('keepalives retire a half-open connection: the next command gets a fresh one without waiting', async () => {
    const { relay, transport, node } = await setup({ keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
    assert.equal((await transport.exec(node, sh`true`, { timeoutMs: 2000 })).exitCode, 0);
    relay.freeze();
    // 2 unanswered pings 200 ms apart, then the connection is closed and leaves the pool.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const started = performance.now();
    const r = await transport.exec(node, sh`echo ok`, { timeoutMs: 2000 });
    assert.equal(r.stdout, 'ok\n');
    assert.ok(performance.now() - started < 1500, 'not stuck on the dead connection until its deadline');
    assert.equal(relay.opened, 2);
  });
});
