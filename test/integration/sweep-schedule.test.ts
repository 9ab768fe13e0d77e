import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { addFault, clearFault, type FaultSpec, labExec } from '../../src/lab/lab.js';
import { createLogger } from '../../src/log/create-logger.js';
import { type Netcheck, startNetcheck } from '../../src/main.js';
import { AuditWatch } from '../support/audit-watch.js';
import { type Harness, startHarness, TEST_PLAN_KEY } from '../support/netcheck-harness.js';
import { sweepFaultCycle } from '../support/sweep-fault-cycle.js';

const SWEEP_CHANNEL = 'C0SWEEP';
const INTERVAL_MS = 2000;

/**
 * The real schedule: NETCHECK_SWEEP_INTERVAL=2s, and two worker processes (the harness's `all`
 * process and a second `worker`) sharing one Redis. One BullMQ job scheduler, global concurrency 1:
 * still one sweep per interval, never two at once.
 */
describe('scheduled sweeps on the real schedule, two workers', () => {
  let h: Harness;
  let second: Netcheck;
  let audit: AuditWatch;

  before(async () => {
    h = await startHarness({
      labId: 'ncsweep2',
      netIndex: 126,
      workers: 2,
      env: { NETCHECK_SWEEP_INTERVAL: '2s', NETCHECK_SWEEP_CHANNEL: SWEEP_CHANNEL },
    });
    second = await startNetcheck(
      {
        NETCHECK_ROLE: 'worker',
        REDIS_URL: h.redis.url,
        NETCHECK_INVENTORY: h.inventoryPath,
        KUBECONFIG: path.join(h.dir, 'kubeconfig'),
        NETCHECK_PLAN_KEY: TEST_PLAN_KEY,
        NETCHECK_SWEEP_INTERVAL: '2s',
        NETCHECK_SWEEP_CHANNEL: SWEEP_CHANNEL,
        PORT: '0',
      },
      { logger: createLogger('silent', { role: 'worker' }) },
    );
    audit = new AuditWatch(h.redis.url);
  });
  after(async () => {
    audit?.close();
    await second?.stop();
    await h?.close();
  });

  const sweepEntries = async () =>
    (await audit.all()).filter((e) => e.type === 'sweep.started' || e.type === 'sweep.finished');

  /** Waits until `count` sweeps have finished in all. */
  async function finishedSweeps(count: number): Promise<AuditEntry[]> {
    let finished: AuditEntry[] = [];
    for (let i = 0; i < count + 1 && finished.length < count; i++) {
      const after = await audit.lastId();
      finished = (await sweepEntries()).filter((e) => e.type === 'sweep.finished');
      if (finished.length >= count) break;
      await audit.waitFor((e) => e.type === 'sweep.finished', 30_000, `sweep ${finished.length + 1}`, after);
      finished = (await sweepEntries()).filter((e) => e.type === 'sweep.finished');
    }
    return finished;
  }

  it('two workers: one sweep per interval, never two at once, one schedule', async () => {
    const startedAt = Date.now();
    const before = (await sweepEntries()).filter((e) => e.type === 'sweep.started').length;
    await finishedSweeps(before + 5);
    const elapsedMs = Date.now() - startedAt;
    const entries = await sweepEntries();
    // In stream order, started and finished alternate with the same sweep id: no overlap.
    for (let i = 0; i + 1 < entries.length; i += 2) {
      assert.equal(entries[i]?.type, 'sweep.started', `entry ${i}`);
      assert.equal(entries[i + 1]?.type, 'sweep.finished', `entry ${i + 1}`);
      assert.equal(entries[i]?.data?.sweepId, entries[i + 1]?.data?.sweepId);
    }
    const started = entries.filter((e) => e.type === 'sweep.started');
    const ids = started.map((e) => String(e.data?.sweepId));
    assert.equal(new Set(ids).size, ids.length, 'each sweep ran once');
    assert.ok(
      ids.every((id) => id.startsWith('repeat:netcheck-sweep:')),
      ids.join(' '),
    );
    // One schedule, not one per worker: from the first sweep to now, at most one per interval (+1).
    const span = Date.parse(started.at(-1)!.at) - Date.parse(started[0]!.at);
    assert.ok(
      started.length - 1 <= Math.floor(span / INTERVAL_MS) + 1,
      `${started.length} sweeps in ${span} ms with a ${INTERVAL_MS} ms interval`,
    );
    // And the schedule keeps time: 5 sweeps did not take much longer than 5 intervals.
    assert.ok(elapsedMs < 6 * INTERVAL_MS + 10_000, `${elapsedMs} ms for 5 sweeps`);
    const workers = new Set(started.map((e) => String(e.data?.worker)));
    assert.ok(workers.size >= 1 && workers.size <= 2, [...workers].join(' '));
  });

  it('a fault injected then cleared on the schedule: exactly one announcement and one resolution', async () => {
    const spec: FaultSpec = { id: 'icmp-blocked', node: 'node-2' };
    const announcement = await sweepFaultCycle(h, audit, spec, SWEEP_CHANNEL, 30_000);
    assert.match(announcement.text, /Resolved/);
    // Two more sweeps: nothing else is said.
    await finishedSweeps((await sweepEntries()).filter((e) => e.type === 'sweep.finished').length + 2);
    assert.equal(h.slack.topLevel(SWEEP_CHANNEL).length, 1, 'exactly one announcement');
    assert.equal(h.slack.replies(announcement.ts).length, 1, 'exactly one resolution');
    const problems = (await audit.all()).filter((e) => e.type.startsWith('problem.')).map((e) => e.type);
    assert.deepEqual(problems, ['problem.announced', 'problem.resolved']);
  });

  it('a sweep that outlasts the interval delays the next one instead of overlapping it', async () => {
    // node-2's sshd stops (its pooled connection closes) and new connections get no answer
    // (SYN dropped, not refused): its diagnosis waits out the 5 s connect timeout, longer than the
    // 2 s interval.
    const rule = (op: '-I' | '-D') => ['iptables', op, 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP'];
    const unreachable: FaultSpec = { id: 'node-unreachable', node: 'node-2' };
    const mark = await audit.lastId();
    await labExec(h.lab, 'node-2', rule('-I'));
    await addFault({ labId: h.lab.labId }, unreachable);
    let slow: AuditEntry;
    try {
      slow = await audit.waitFor(
        (e) => e.type === 'sweep.finished' && Number(e.data?.ms) > INTERVAL_MS,
        60_000,
        'a sweep longer than the interval',
        mark,
      );
      // And the one after it, which was due while the slow one ran.
      await audit.waitFor((e) => e.type === 'sweep.finished', 60_000, 'the next sweep', slow.id);
    } finally {
      await labExec(h.lab, 'node-2', rule('-D'));
      await clearFault({ labId: h.lab.labId }, unreachable);
    }
    const entries = await sweepEntries();
    for (let i = 0; i + 1 < entries.length; i += 2) {
      assert.equal(entries[i]?.type, 'sweep.started', `entry ${i}: ${JSON.stringify(entries[i]?.data)}`);
      assert.equal(entries[i + 1]?.type, 'sweep.finished', `entry ${i + 1}`);
      assert.equal(entries[i]?.data?.sweepId, entries[i + 1]?.data?.sweepId);
    }
    assert.ok(Number(slow.data?.ms) > INTERVAL_MS, `the slow sweep took ${slow.data?.ms} ms`);
  });
});
