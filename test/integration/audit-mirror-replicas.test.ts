import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { startAuditMirror } from '../../src/slack/audit-mirror.js';
import { AuditMirrorLease } from '../../src/store/audit-mirror-lease.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { RunStore } from '../../src/store/run-store.js';
import { FakeSlack } from '../support/fake-slack.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const CHANNEL = 'C0AUDIT';
/** Short enough to run in seconds; the same ratios as production (TTL 15 s, client 10 s, settle 20 s). */
const TIMING = { leaseTtlMs: 300, settleMs: 2500 };
const CLIENT_TIMEOUT_MS = 1000;

/**
 * Two bot replicas' audit mirrors on one real Redis, posting to a Slack stand-in whose
 * chat.postMessage can be held: the leader is deposed in the middle of a slow post, and every audit
 * entry still reaches the channel exactly once, in order.
 */
describe('audit mirror: two replicas, a slow Slack', () => {
  let redis: TestRedis;
  let slack: FakeSlack;
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    connections.push(c);
    return c;
  };
  let main: Redis;
  let store: AuditStore;
  const stops: (() => Promise<void>)[] = [];
  const logs: string[] = [];

  before(async () => {
    redis = await startRedis();
    slack = new FakeSlack();
    await slack.start();
  });
  after(async () => {
    for (const stop of stops.splice(0)) await stop();
    for (const c of connections) c.disconnect();
    await slack.stop();
    await redis.stop();
  });
  beforeEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    main = connect();
    await main.flushall();
    slack.messages.splice(0);
    slack.calls.splice(0);
    slack.gates.clear();
    store = new AuditStore(main, connect(), () => new Date().toISOString());
  });

  const append = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const event: AuditEvent = { type: 'command.received', actor: 'U0ONCALL', summary: `entry ${i}` };
      await store.append(event);
    }
  };

  /** One replica's mirror with its own Redis connections and Web API client (token `xoxb-<name>`). */
  const startReplica = (name: string) => {
    const blocking = connect();
    const mirror = startAuditMirror({
      store,
      redis: connect(),
      runs: new RunStore(main, () => new Date().toISOString()),
      client: new WebClient(`xoxb-${name}`, {
        slackApiUrl: slack.url,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: CLIENT_TIMEOUT_MS,
      }),
      channel: CHANNEL,
      waitForMore: (afterId, ms) => store.waitAfter(blocking, afterId, ms),
      owner: `replica-${name}`,
      now: Date.now,
      logger: {
        info: (_o, msg) => logs.push(`${name} info ${msg}`),
        warn: (_o, msg) => logs.push(`${name} warn ${msg}`),
        error: (_o, msg) => logs.push(`${name} error ${msg}`),
      },
      timing: TIMING,
    });
    stops.push(async () => {
      blocking.disconnect();
      await mirror.stop();
    });
  };

  const seqOf = (text: string) => Number(/^#(\d+) /.exec(text)?.[1]);
  const posted = () => slack.topLevel(CHANNEL).map((m) => seqOf(m.text));
  const postsBy = (name: string) =>
    slack.callsOf('chat.postMessage').filter((c) => c.token === `xoxb-${name}`).length;
  const caughtUp = async (n: number) => {
    await slack.waitFor(() => (posted().length >= n ? true : undefined), 30_000, `${n} audit lines`);
    // Anything still in flight would show up now.
    await new Promise((resolve) => setTimeout(resolve, TIMING.settleMs));
    assert.deepEqual(
      posted(),
      Array.from({ length: n }, (_, i) => i + 1),
      'every entry exactly once, in order',
    );
  };
  const leaderIs = async (name: string) => {
    const deadline = Date.now() + 10_000;
    while (!(await main.get('netcheck:audit:mirror-leader'))?.endsWith(` replica-${name}`)) {
      if (Date.now() > deadline) throw new Error(`replica ${name} never took the lease`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /** Holds the next audit post until released; resolves `held` when it arrives. */
  const holdNextPost = () => {
    let release!: () => void;
    let arrived!: (seq: number) => void;
    const held = new Promise<number>((resolve) => {
      arrived = resolve;
    });
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    slack.gates.set('chat.postMessage', async (params) => {
      if (params.channel !== CHANNEL) return;
      slack.gates.delete('chat.postMessage');
      arrived(seqOf(String(params.text)));
      await gate;
    });
    return { held, release };
  };

  for (const late of [false, true]) {
    it(
      late
        ? 'the leader is deposed during a post that outlasts its client timeout: each entry once, in order'
        : 'the leader is deposed during a slow post that then succeeds: each entry once, in order',
      async () => {
        await append(5);
        startReplica('a');
        await caughtUp(5);
        const { held, release } = holdNextPost();
        await append(5);
        const heldSeq = await held;
        assert.equal(heldSeq, 6);
        startReplica('b');
        // A's loop is stuck in the post, so its lease lapses and B takes over mid-post.
        await leaderIs('b');
        const aPosts = postsBy('a');
        await append(5);
        // Slack finally acts on A's post: before (or after) A's client gave up, within the settle time.
        await new Promise((resolve) => setTimeout(resolve, late ? CLIENT_TIMEOUT_MS + 300 : 200));
        release();
        await caughtUp(15);
        // The held post is recorded when Slack acts on it, after the release.
        assert.equal(postsBy('a'), aPosts + 1, 'the deposed replica sent nothing after the held post');
        assert.equal(
          slack.callsOf('chat.postMessage').filter((c) => seqOf(String(c.params.text)) === heldSeq).length,
          1,
          'the held entry was sent once: the new leader found it by its metadata',
        );
      },
    );
  }

  it('both replicas running from the start, leadership moving several times: each entry once, in order', async () => {
    startReplica('a');
    startReplica('b');
    for (let round = 0; round < 4; round++) {
      const { release } = holdNextPost();
      await append(4);
      // Whoever leads is stuck long enough to lose the lease to the other.
      await new Promise((resolve) => setTimeout(resolve, TIMING.leaseTtlMs * 3));
      release();
    }
    await caughtUp(16);
  });

  it('a deposed token can neither post nor move the cursor, back or forward', async () => {
    const lease = new AuditMirrorLease(main);
    const a = await lease.lead('a', 10_000);
    assert.ok(a !== undefined);
    assert.equal(await lease.lead('b', 10_000), undefined, 'one leader at a time');
    assert.equal((await lease.beginSend(a, 1, false)).kind, 'go');
    assert.equal(await lease.commit(a, 1, '1-0'), true);
    assert.equal(await lease.commit(a, 3, '3-0'), false, 'the cursor moves one entry at a time');
    // A's lease lapses (a pause, a slow Slack): B takes over with a larger token.
    await main.pexpire('netcheck:audit:mirror-leader', 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const b = await lease.lead('b', 10_000);
    assert.ok(b !== undefined && b > a);
    assert.equal((await lease.beginSend(a, 2, false)).kind, 'lost', 'the deposed leader may not post');
    assert.equal(await lease.commit(a, 2, '2-0'), false, 'nor move the cursor forward');
    assert.equal(await lease.commit(a, 1, '1-0'), false, 'nor back');
    assert.equal(await lease.lead('a', 10_000), undefined, 'nor take the lease back while B holds it');
    assert.deepEqual(await lease.cursor(), { seq: 1, id: '1-0' });
    assert.equal((await lease.beginSend(b, 2, false)).kind, 'go');
    const again = await lease.beginSend(b, 2, false);
    assert.equal(again.kind, 'unknown', 'a send with no outcome yet is looked up before it is sent again');
    assert.equal(await lease.commit(b, 2, '2-0'), true);
    assert.equal((await lease.beginSend(b, 2, false)).kind, 'done');
  });
});
