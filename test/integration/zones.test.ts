import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addFault, clearFault } from '../../src/lab/lab.js';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import { zoneQueueName } from '../../src/queue/zone-routing.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { ZoneLiveness } from '../../src/store/zone-liveness.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';
import { spawnWorker } from '../support/worker-process.js';

/** A worker in its own process, as on a machine in that zone (`NETCHECK_ZONE` unset: no zone). */
function startWorker(h: Harness, zone: string | undefined): ChildProcess {
  return spawnWorker(h, zone ? { NETCHECK_ZONE: zone } : {});
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

describe('zones: workers close to their nodes', () => {
  let h: Harness;
  let redis: Redis;
  let liveness: ZoneLiveness;
  let audit: AuditStore;
  let rackA: ChildProcess | undefined;
  let rackB: ChildProcess | undefined;
  let unzoned: ChildProcess | undefined;

  /** Until `zone` has `count` live workers (each beats on start); bounded. */
  async function waitForWorkers(zone: string | undefined, count: number): Promise<string[]> {
    for (let i = 0; i < 300; i++) {
      const live = await liveness.liveWorkers(zone);
      if (live.length === count) return live;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`zone ${zone ?? '(default)'} never had ${count} live worker(s)`);
  }

  /** The worker id on the run's `run.started` audit entry. */
  async function workerOf(runNode: string): Promise<{ worker: string; zone: unknown }> {
    const entries = await audit.readAll();
    const started = entries.filter((e) => e.type === 'run.started' && e.node === runNode).at(-1);
    assert.ok(started, `a run.started entry for ${runNode}`);
    return started.data as { worker: string; zone: unknown };
  }

  before(async () => {
    h = await startHarness({
      labId: 'nczone',
      netIndex: 140,
      env: { NETCHECK_ROLE: 'bot' },
      zones: { 'cp-1': 'rack-a', 'node-1': 'rack-a', 'node-2': 'rack-b', 'node-3': 'rack-c' },
    });
    redis = new Redis(h.redis.url);
    liveness = new ZoneLiveness(redis);
    audit = new AuditStore(redis, redis, () => new Date().toISOString());
    rackA = startWorker(h, 'rack-a');
    rackB = startWorker(h, 'rack-b');
    await Promise.all([waitForWorkers('rack-a', 1), waitForWorkers('rack-b', 1)]);
  });
  after(async () => {
    await stop(rackA);
    await stop(rackB);
    await stop(unzoned);
    redis?.disconnect();
    await h?.close();
  });

  it("each node's probes run on its own zone's worker (the audit entry names the worker)", async () => {
    const one = await h.check('node-1', { timeoutMs: 30_000 });
    assert.match(messageText(one.report), /`healthy`/);
    const a = await workerOf('node-1');
    assert.equal(a.zone, 'rack-a');
    assert.match(
      a.worker,
      new RegExp(`-${rackA!.pid}-`),
      `node-1 ran on the rack-a worker (pid ${rackA!.pid}): ${a.worker}`,
    );

    const two = await h.check('node-2', { timeoutMs: 30_000 });
    assert.match(messageText(two.report), /`healthy`/);
    const b = await workerOf('node-2');
    assert.equal(b.zone, 'rack-b');
    assert.match(
      b.worker,
      new RegExp(`-${rackB!.pid}-`),
      `node-2 ran on the rack-b worker (pid ${rackB!.pid}): ${b.worker}`,
    );
  });

  it('an approved plan goes to the zone of its node and runs there', async () => {
    await addFault({ labId: h.lab.labId }, { id: 'ip-forward-disabled', node: 'node-2' });
    try {
      const { parent, report } = await h.check('node-2', { timeoutMs: 30_000 });
      const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
        elements: { value: string }[];
      };
      const planId = actions.elements[0]!.value;
      await postButtonClick(h.appUrl, SIGNING_SECRET, {
        actionId: 'netcheck_approve',
        value: planId,
        user: 'U0ONCALL',
        channel: 'C0INCIDENT',
        messageTs: report.ts,
      });
      const outcome = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed/.test(m.text)),
        40_000,
        'the plan to finish',
      );
      assert.match(outcome.text, /Fixed and verified/);
      const queue = new Queue(zoneQueueName(QUEUE_NAMES.remediation, 'rack-b'), {
        connection: { url: h.redis.url },
        prefix: KEY_PREFIX,
      });
      try {
        assert.equal(await queue.getJobState(`remediate-${planId.split(':')[0]}`), 'completed');
      } finally {
        await queue.close();
      }
    } finally {
      await clearFault({ labId: h.lab.labId }, { id: 'ip-forward-disabled', node: 'node-2' });
    }
  });

  it('a zone with no live worker is answered in the thread at once, naming the zone; a worker without a zone does not take it', async (t) => {
    unzoned = startWorker(h, undefined);
    await waitForWorkers(undefined, 1);
    const started = Date.now();
    const { report } = await h.check('node-3', { timeoutMs: 10_000 });
    const ms = Date.now() - started;
    assert.ok(ms < 5000, `answered in ${ms} ms`);
    t.diagnostic(`no-live-worker answer in the thread ${ms} ms after the signed command`);
    assert.match(
      report.text,
      /no live worker in zone rack-c for node-3 \(start one with NETCHECK_ZONE=rack-c\)/,
    );
    for (const name of [QUEUE_NAMES.probe, zoneQueueName(QUEUE_NAMES.probe, 'rack-c')]) {
      const queue = new Queue(name, { connection: { url: h.redis.url }, prefix: KEY_PREFIX });
      try {
        const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
        assert.equal(
          Object.values(counts).reduce((a, b) => a + b, 0),
          0,
          `nothing queued on ${name}`,
        );
      } finally {
        await queue.close();
      }
    }
  });

  it('a zone whose only worker stopped is reported, not left waiting', async () => {
    await stop(rackB, 'SIGTERM');
    await waitForWorkers('rack-b', 0);
    const { report } = await h.check('node-2', { timeoutMs: 10_000 });
    assert.match(
      report.text,
      /no live worker in zone rack-b for node-2 \(start one with NETCHECK_ZONE=rack-b\)/,
    );
  });
});
