import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log/create-logger.js';
import { type Netcheck, startNetcheck } from '../../src/main.js';
import { FakeSlack } from '../support/fake-slack.js';
import { freePort } from '../support/free-port.js';
import { SIGNING_SECRET, TEST_PLAN_KEY } from '../support/netcheck-harness.js';
import { postSlashCommand } from '../support/slack-signing.js';

const PASSWORD = 'test-redis-pass-0123456789';

/** A private redis-server that requires a password. */
async function startPasswordRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  // The password arrives on stdin (`redis-server -` reads its config there): never on a command line.
  const child = spawn(
    'redis-server',
    ['-', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdin?.end(`requirepass ${PASSWORD}\n`);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`redis-server exited:\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { port, child };
}

/**
 * Everything that talks to Redis (the bot's listener, the queues, the probe/outbox workers with their
 * blocking connections, the audit writer) authenticates with the password in REDIS_URL. No lab: the
 * one node is a closed loopback port, so the report comes back `node-unreachable` through the whole path.
 */
describe('Redis with a password', () => {
  let redis: { port: number; child: ChildProcess };
  let slack: FakeSlack;
  let dir: string;
  let app: Netcheck | undefined;
  before(async () => {
    redis = await startPasswordRedis();
    slack = new FakeSlack();
    await slack.start();
    dir = await mkdtemp(path.join(tmpdir(), 'netcheck-redis-pw-'));
    await writeFile(path.join(dir, 'id_ed25519'), 'not a key: never used, the node does not answer\n');
    await writeFile(path.join(dir, 'known_hosts'), '');
    await writeFile(
      path.join(dir, 'inventory.yaml'),
      `ssh: { user: root, privateKeyPath: ./id_ed25519, knownHostsPath: ./known_hosts }\ncluster: { podNetworkCidr: 10.244.0.0/16 }\nnodes:\n  - { name: cp-1, host: 127.0.0.1, port: ${await freePort()}, role: control-plane }\n`,
    );
  });
  after(async () => {
    await app?.stop();
    await slack?.stop();
    if (redis) {
      const exited = once(redis.child, 'exit');
      redis.child.kill('SIGKILL');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const env = (url: string) => ({
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: url,
    NETCHECK_INVENTORY: path.join(dir, 'inventory.yaml'),
    NETCHECK_ROLE: 'all',
    NETCHECK_PLAN_KEY: TEST_PLAN_KEY,
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('silent', { role: 'all' }, { write: () => undefined });

  it('without it, or with a wrong one, nothing starts; with it, /netcheck goes through queues, worker and outbox', async () => {
    const anonymous = new Redis(`redis://127.0.0.1:${redis.port}`, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => undefined);
    anonymous.on('error', () => undefined);
    await assert.rejects(anonymous.ping(), /NOAUTH/, 'this Redis refuses clients without the password');
    anonymous.disconnect();
    await assert.rejects(
      startNetcheck(env(`redis://:wrong-password@127.0.0.1:${redis.port}`), { logger }),
      /cannot connect to Redis/,
    );
    app = await startNetcheck(env(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`), { logger });
    const res = await postSlashCommand(`http://127.0.0.1:${app.port}`, SIGNING_SECRET, {
      text: 'cp-1',
      user_id: 'U0ONCALL',
      channel_id: 'C0PASSWORD',
    });
    assert.equal(res.status, 200);
    const parent = await slack.waitFor(() => slack.topLevel('C0PASSWORD')[0], 20_000, 'the parent message');
    const report = await slack.waitFor(() => slack.replies(parent.ts)[0], 30_000, 'the report');
    assert.match(report.text, /cp-1/);
  });
});
