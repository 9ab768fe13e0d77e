import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { FaultSpec } from '../../src/lab/lab.js';
import { sweepQueueName } from '../../src/queue/sweep-queue.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { AuditWatch } from '../support/audit-watch.js';
import { type Harness, startHarness, TEST_PLAN_KEY } from '../support/netcheck-harness.js';
import { sweepFaultCycle } from '../support/sweep-fault-cycle.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const SWEEP_CHANNEL = 'C0SWEEP';
const INTERVAL_MS = 2000;
const SWEEP_ENV = { NETCHECK_SWEEP_INTERVAL: '2s', NETCHECK_SWEEP_CHANNEL: SWEEP_CHANNEL };

/** A worker of one zone in its own process, on the real 2 s schedule. */
function startWorker(h: Harness, zone: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
    env: {
      ...process.env,
      ...SWEEP_ENV,
      NETCHECK_ROLE: 'worker',
      NETCHECK_PLAN_KEY: TEST_PLAN_KEY,
      NETCHECK_ZONE: zone,
      REDIS_URL: h.redis.url,
      NETCHECK_INVENTORY: h.inventoryPath,
      KUBECONFIG: path.join(h.dir, 'kubeconfig'),
      LOG_LEVEL: process.env.NETCHECK_TEST_LOG ?? 'silent',
      PORT: '0',
    },
    stdio: process.env.NETCHECK_TEST_LOG ? 'inherit' : 'ignore',
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * Zoned sweeps: node-1 in zone a, node-2 in zone b (cp-1 without a zone, and no worker for it), one
 * worker process per zone. Each zone has its own schedule and sweeps only its own nodes.
 */
describe('scheduled sweeps per zone', () => {
  let h: Harness;
  let audit: AuditWatch;
  const workers: Record<string, ChildProcess> = {};

  before(async () => {
    h = await startHarness({
      labId: 'ncswz',
      netIndex: 151,
      workers: 2,
      zones: { 'node-1': 'a', 'node-2': 'b' },
      env: { NETCHECK_ROLE: 'bot', ...SWEEP_ENV },
    });
    audit = new AuditWatch(h.redis.url);
    workers.a = startWorker(h, 'a');
    workers.b = startWorker(h, 'b');
  });
  after(async () => {
    await stop(workers.a);
    await stop(workers.b);
    audit?.close();
    await h?.close();
  });

  const sweepEntries = async () =>
    (await audit.all()).filter((e) => e.type === 'sweep.started' || e.type === 'sweep.finished');
  const finishedIn = async (zone: string) =>
    (await sweepEntries()).filter((e) => e.type === 'sweep.finished' && e.data?.zone === zone).length;

  /** Until each zone has finished `count` sweeps; bounded by one wait per sweep. */
  async function finishedSweeps(count: number): Promise<void> {
    for (let i = 0; i < 4 * count + 4; i++) {
      if ((await finishedIn('a')) >= count && (await finishedIn('b')) >= count) return;
      await audit.waitFor((e) => e.type === 'sweep.finished', 30_000, 'the next sweep', await audit.lastId());
    }
    throw new Error(`the zones never finished ${count} sweeps each`);
  }

  it("each zone's sweeps diagnose only its nodes, on its own worker, one per interval", async () => {
    await finishedSweeps(4);
    const entries = await sweepEntries();
    for (const [zone, node] of [
      ['a', 'node-1'],
      ['b', 'node-2'],
    ] as const) {
      const own = entries.filter((e) => e.data?.zone === zone);
      // Started and finished alternate with the same sweep id within the zone: never two at once.
      for (let i = 0; i + 1 < own.length; i += 2) {
        assert.equal(own[i]?.type, 'sweep.started', `zone ${zone} entry ${i}`);
        assert.equal(own[i + 1]?.type, 'sweep.finished', `zone ${zone} entry ${i + 1}`);
        assert.equal(own[i]?.data?.sweepId, own[i + 1]?.data?.sweepId);
      }
      const started = own.filter((e) => e.type === 'sweep.started');
      for (const e of own) {
        assert.equal(e.data?.nodes, 1, JSON.stringify(e.data));
        assert.deepEqual(e.data?.names, [node]);
        assert.match(
          String(e.data?.worker),
          new RegExp(`-${workers[zone]!.pid}-`),
          `ran on zone ${zone}'s worker`,
        );
        assert.match(String(e.data?.sweepId), new RegExp(`^repeat:netcheck-sweep@${zone}:`));
      }
      const ids = started.map((e) => String(e.data?.sweepId));
      assert.equal(new Set(ids).size, ids.length, `each sweep of zone ${zone} ran once`);
      const span = Date.parse(started.at(-1)!.at) - Date.parse(started[0]!.at);
      assert.ok(
        started.length - 1 <= Math.floor(span / INTERVAL_MS) + 1,
        `zone ${zone}: ${started.length} sweeps in ${span} ms with a ${INTERVAL_MS} ms interval`,
      );
    }
    assert.ok(
      entries.every((e) => e.data?.zone === 'a' || e.data?.zone === 'b'),
      'no sweep without a zone: no worker serves the default zone, so cp-1 is not swept from afar',
    );
    // One scheduler per served zone; none on the default queue (no worker of it upserted one).
    for (const [zone, expected] of [
      ['a', ['netcheck-sweep@a']],
      ['b', ['netcheck-sweep@b']],
      [undefined, []],
    ] as const) {
      const queue = new Queue(sweepQueueName(zone), { connection: { url: h.redis.url }, prefix: KEY_PREFIX });
      try {
        assert.deepEqual(
          (await queue.getJobSchedulers()).map((s) => s.key),
          expected,
          `schedulers of ${sweepQueueName(zone)}`,
        );
      } finally {
        await queue.close();
      }
    }
  });

  it("a fault on node-2: one announcement and one resolution, by zone b; zone a's sweeps never see it", async () => {
    const spec: FaultSpec = { id: 'icmp-blocked', node: 'node-2' };
    const mark = await audit.lastId();
    const announcement = await sweepFaultCycle(h, audit, spec, SWEEP_CHANNEL, 40_000);
    assert.match(announcement.text, /Resolved/);
    // Two more sweeps of each zone: nothing else is said.
    await finishedSweeps(Math.max(await finishedIn('a'), await finishedIn('b')) + 2);
    assert.equal(h.slack.topLevel(SWEEP_CHANNEL).length, 1, 'exactly one announcement');
    assert.equal(h.slack.replies(announcement.ts).length, 1, 'exactly one resolution');
    const all = await audit.all();
    const problems = all.filter((e) => e.type.startsWith('problem.'));
    assert.deepEqual(
      problems.map((e) => [e.type, e.node, e.data?.zone]),
      [
        ['problem.announced', 'node-2', 'b'],
        ['problem.resolved', 'node-2', 'b'],
      ],
    );
    // Zone a's sweeps ran all along and saw no problem at all (node-2's is not theirs to see).
    const zoneA = all
      .slice(all.findIndex((e) => e.id === mark) + 1)
      .filter((e) => e.type === 'sweep.finished' && e.data?.zone === 'a');
    assert.ok(zoneA.length >= 2, `${zoneA.length} zone a sweeps during the fault`);
    assert.ok(
      zoneA.every((e) => e.data?.problemsSeen === 0 && e.data?.open === 0 && e.data?.pending === 0),
      JSON.stringify(zoneA.map((e) => e.data)),
    );
  });
});
