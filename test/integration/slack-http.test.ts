import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { type Netcheck, startNetcheck } from '../../src/main.js';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { postSigned, postSlashCommand } from '../support/slack-signing.js';

const SECRET = 'slack-http-test-secret';
const INVENTORY = `ssh: { user: root, privateKeyPath: ./absent-key, knownHostsPath: ./absent-known-hosts }
cluster: { podNetworkCidr: 10.244.0.0/16 }
nodes:
  - { name: cp-1, host: 198.18.0.10, role: control-plane }
  - { name: node-1, host: 198.18.0.11, role: worker }
  - { name: node-3, host: 198.18.0.13, role: worker }
`;

/**
 * The Slack edge of the bot role alone (no worker, so no SSH): signature checks, input validation,
 * and the outbox's delivery guarantees against a fake Slack that fails on demand.
 */
describe('bot role over HTTP', () => {
  let dir: string;
  let redis: TestRedis;
  let slack: FakeSlack;
  let app: Netcheck;
  let probes: Queue;
  let url: string;
  const env = () => ({
    NETCHECK_ROLE: 'bot',
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: redis.url,
    NETCHECK_INVENTORY: path.join(dir, 'inventory.yaml'),
  });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netcheck-http-'));
    await writeFile(path.join(dir, 'inventory.yaml'), INVENTORY);
    redis = await startRedis();
    slack = new FakeSlack();
    await slack.start();
    app = await startNetcheck(env(), { logger: pino({ level: process.env.NETCHECK_TEST_LOG ?? 'silent' }) });
    url = `http://127.0.0.1:${app.port}`;
    probes = new Queue(QUEUE_NAMES.probe, { connection: { url: redis.url }, prefix: KEY_PREFIX });
  });

  after(async () => {
    await probes?.close();
    await app?.stop();
    await slack?.stop();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const queued = async () =>
    (await probes.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'])).length;
  const posts = () => slack.callsOf('chat.postMessage').length;

  it('GET /healthz reports Redis health', async () => {
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true, role: 'bot', redis: 'ok' });
  });

  it('a forged signature gets 401 and nothing happens', async () => {
    const res = await postSlashCommand(url, SECRET, { text: 'node-3' }, { signWith: 'not-the-secret' });
    assert.equal(res.status, 401);
    assert.equal(await queued(), 0);
    assert.equal(posts(), 0);
  });

  it('a stale timestamp (replay older than 5 minutes) gets 401 and nothing happens', async () => {
    const res = await postSlashCommand(
      url,
      SECRET,
      { text: 'node-3' },
      { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
    );
    assert.equal(res.status, 401);
    const unsigned = await fetch(`${url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'text=node-3',
    });
    assert.equal(unsigned.status, 401);
    assert.equal(await queued(), 0);
    assert.equal(posts(), 0);
  });

  it('/netcheck and /netcheck help answer with usage, ephemerally', async () => {
    for (const text of ['', 'help']) {
      const res = await postSlashCommand(url, SECRET, { text });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body);
      assert.equal(body.response_type, 'ephemeral');
      assert.match(body.text, /`\/netcheck <node>`/);
    }
    assert.equal(await queued(), 0);
  });

  for (const [text, pattern] of [
    ['node-4', /no node "node-4" in the inventory.*Did you mean `node-1` or `node-3`/s],
    ['node-3; reboot', /is not a node name.*Did you mean `node-3`/s],
    ['$(reboot)', /"\$\(reboot\)" is not a node name/],
    ['`reboot`', /is not a node name/],
  ] as const) {
    it(`refuses ${JSON.stringify(text)} ephemerally and queues nothing`, async () => {
      const res = await postSlashCommand(url, SECRET, { text });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body);
      assert.equal(body.response_type, 'ephemeral');
      assert.match(body.text, pattern);
      assert.match(body.text, /Nothing was run/);
      assert.equal(await queued(), 0);
      assert.equal(posts(), 0);
    });
  }

  it('a valid node: acks at once with an empty body, posts the parent and queues one probe job', async () => {
    const started = performance.now();
    const res = await postSlashCommand(url, SECRET, {
      text: 'node-3',
      user_id: 'U0ALICE',
      channel_id: 'C0VALID',
    });
    const ackMs = performance.now() - started;
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.ok(ackMs < 3000, `ack took ${ackMs} ms`);
    const parent = await slack.waitFor(() => slack.topLevel('C0VALID')[0], 10_000, 'parent');
    assert.match(parent.text, /checking \*node-3\* for <@U0ALICE>/);
    const jobs = await probes.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
    assert.equal(jobs.length, 1);
    assert.deepEqual(
      { node: jobs[0]?.data.node, requestedBy: jobs[0]?.data.requestedBy },
      { node: 'node-3', requestedBy: 'U0ALICE' },
    );
  });

  it('Slack 429 on chat.postMessage: the message arrives once, after Retry-After', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const res = await postSlashCommand(url, SECRET, { text: 'node-1', channel_id: 'C0RATE' });
    assert.equal(res.status, 200);
    await slack.waitFor(() => slack.topLevel('C0RATE')[0], 15_000, 'parent after 429');
    const attempts = slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0RATE');
    assert.deepEqual(
      attempts.map((c) => c.outcome),
      ['http-429', 'ok'],
    );
    assert.equal(slack.topLevel('C0RATE').length, 1);
  });

  it('Slack 500 after it already posted: the retry finds the message and does not post it again', async () => {
    slack.failNext('chat.postMessage', { status: 500, applied: true });
    await postSlashCommand(url, SECRET, { text: 'node-1', channel_id: 'C0LOST' });
    await slack.waitFor(
      () => slack.callsOf('conversations.history').find((c) => c.params.channel === 'C0LOST'),
      15_000,
      'the de-duplication lookup',
    );
    assert.equal(slack.topLevel('C0LOST').length, 1);
    // The lookup found it, so no second chat.postMessage for this channel was made.
    assert.equal(slack.callsOf('chat.postMessage').filter((c) => c.params.channel === 'C0LOST').length, 1);
  });

  it('Slack 500 before posting: the message arrives once on retry', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 2);
    await postSlashCommand(url, SECRET, { text: 'node-1', channel_id: 'C0FLAKY' });
    await slack.waitFor(() => slack.topLevel('C0FLAKY')[0], 15_000, 'parent after 500s');
    assert.equal(slack.topLevel('C0FLAKY').length, 1);
  });

  it('a bot restart while Slack is failing delays the message but neither loses nor duplicates it', async () => {
    slack.failNext('chat.postMessage', { status: 500 }, 1000);
    await postSlashCommand(url, SECRET, { text: 'node-1', channel_id: 'C0RESTART' });
    await slack.waitFor(
      () => slack.callsOf('chat.postMessage').find((c) => c.params.channel === 'C0RESTART'),
      10_000,
      'a failing attempt',
    );
    await app.stop();
    slack.clearFailures();
    app = await startNetcheck(env(), { logger: pino({ level: process.env.NETCHECK_TEST_LOG ?? 'silent' }) });
    url = `http://127.0.0.1:${app.port}`;
    await slack.waitFor(() => slack.topLevel('C0RESTART')[0], 20_000, 'the parent after the restart');
    assert.equal(slack.topLevel('C0RESTART').length, 1);
  });

  it('an interactive payload that is not form-encoded is not treated as a command', async () => {
    const res = await postSigned(
      url,
      SECRET,
      JSON.stringify({ command: '/netcheck', text: 'node-3' }),
      'application/json',
    );
    assert.notEqual(res.status, 500);
    assert.equal(slack.topLevel().filter((m) => m.channel === 'C0INCIDENT').length, 0);
  });
});
