import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { once } from 'node:events';
import { constants, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { withDeadline } from '../../src/core/deadline.js';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import { parsePlanButtonValue } from '../../src/slack/blocks/plan-button-value.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { lockKey, PlanStore } from '../../src/store/plan-store.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';
import { spawnWorker } from '../support/worker-process.js';

/** A worker in its own process, as in production, so the test can signal it; its stderr is kept. */
interface WorkerProcess {
  readonly child: ChildProcess;
  stderr: string;
  /** Resolves when stderr has shown `re`. */
  said(re: RegExp): Promise<void>;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

function startWorker(h: Harness): WorkerProcess {
  const child = spawnWorker(h, {}, ['ignore', 'ignore', 'pipe']);
  const w: WorkerProcess = {
    child,
    stderr: '',
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
    said: (re) =>
      new Promise((resolve) => {
        const check = () => {
          if (!re.test(w.stderr)) return;
          child.stderr?.off('data', check);
          resolve();
        };
        child.stderr?.on('data', check);
        check();
      }),
  };
  child.stderr?.on('data', (chunk: Buffer) => {
    w.stderr += chunk.toString();
  });
  return w;
}

async function kill(w: WorkerProcess | undefined): Promise<void> {
  if (!w || w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGKILL');
  await w.exited;
}

/** Opens a FIFO without blocking and writes to it, so anything waiting on it goes on (cleanup). */
async function unblock(fifo: string): Promise<void> {
  const fd = await open(fifo, constants.O_RDWR | constants.O_NONBLOCK).catch(() => undefined);
  if (!fd) return;
  await fd.write('x\n').catch(() => undefined);
  await fd.close();
}

/** What the Approve button carries: the plan id and the hash of the plan shown. */
function approveValueOf(report: FakeMessage): string {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
    elements: { action_id: string; value: string }[];
  };
  return actions.elements.find((e) => e.action_id === 'netcheck_approve')!.value;
}

const planIdOf = (report: FakeMessage): string => parsePlanButtonValue(approveValueOf(report))!.planId;

describe('remediation: late approvals and worker shutdown (worker processes)', () => {
  let h: Harness;
  let redis: Redis;
  let plans: PlanStore;
  const workers: WorkerProcess[] = [];

  before(async () => {
    h = await startHarness({ labId: 'ncstop', netIndex: 48, env: { NETCHECK_ROLE: 'bot' } });
    redis = new Redis(h.redis.url);
    plans = new PlanStore(redis);
    workers.push(startWorker(h));
  });
  after(async () => {
    for (const w of workers) await kill(w);
    redis?.disconnect();
    await h?.close();
  });

  const approve = (report: FakeMessage, user = 'U0ONCALL') =>
    postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: approveValueOf(report),
      user,
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });

  it('an approval no worker starts within the window expires: nothing runs, the thread and the audit log say why', async () => {
    await addFault({ labId: 'ncstop' }, { id: 'ip-forward-disabled', node: 'node-2' });
    try {
      const { parent, report } = await h.check('node-2', { user: 'U0ONCALL', timeoutMs: 30_000 });
      const planId = planIdOf(report);
      // No worker while the approval waits: the only one stops (idle, it exits at once and cleanly).
      const idle = workers[0]!;
      idle.child.kill('SIGTERM');
      assert.deepEqual(await idle.exited, [0, null]);

      await approve(report);
      await h.slack.waitFor(() => (report.edits > 0 ? report : undefined), 10_000, 'the approval');
      // The approval is three minutes old when a worker comes (the default window is two).
      await redis.hset(`${KEY_PREFIX}:plan:${planId}`, 'approvedAtMs', String(Date.now() - 3 * 60_000));
      workers.push(startWorker(h));

      const expired = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes('approval expired')),
        30_000,
        'the expiry notice',
      );
      assert.match(
        expired.text,
        /was approved 1[89]\d s ago, but a run must start within 120 s of its approval/,
      );
      assert.match(expired.text, /Nothing ran\. .*run \/netcheck node-2 for a fresh one/);
      assert.equal((await plans.get(planId))?.state, 'expired');
      assert.equal(h.slack.replies(parent.ts).filter((m) => m.text.includes('Running plan')).length, 0);
      assert.equal(
        (await labExec(h.lab, 'node-2', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(),
        '0',
        'nothing ran on the node',
      );
      const audit = await new AuditStore(redis, redis, () => new Date().toISOString()).read();
      const entry = audit.find((e) => e.type === 'plan.expired' && e.planId === planId);
      assert.ok(entry, 'the expiry is audited');
      assert.match(entry.summary, /approval expired before the run started.*nothing ran/);
    } finally {
      await clearFault({ labId: 'ncstop' }, { id: 'ip-forward-disabled', node: 'node-2' });
    }
  });

  it('SIGTERM mid-step: the step finishes, the thread says which steps ran and which did not, the lock is released, no rollback, the process exits', async () => {
    const bin = path.join(h.lab.stateDir, 'bin');
    const started = path.join(bin, 'gate-started');
    const release = path.join(bin, 'gate-release');
    const wrapper = path.join(bin, 'iptables-save');
    await addFault({ labId: 'ncstop' }, { id: 'icmp-blocked', node: 'cp-1' });
    try {
      const worker = workers[workers.length - 1]!;
      const { parent, report } = await h.check('node-3', { user: 'U0ONCALL', timeoutMs: 30_000 });
      const planId = planIdOf(report);
      // From now on `iptables-save` on a node (step 1, the backup) announces itself and waits for the test.
      await promisify(execFile)('mkfifo', [started, release]);
      await writeFile(
        wrapper,
        '#!/bin/sh\nif [ -p /usr/local/bin/gate-release ]; then\n  echo started > /usr/local/bin/gate-started\n  cat /usr/local/bin/gate-release > /dev/null\nfi\nexec /usr/sbin/iptables-save "$@"\n',
        { mode: 0o755 },
      );
      // The plan changes cp-1: the requester alone may not approve it.
      await approve(report, 'U0APPROVER');
      await withDeadline(readFile(started), 30_000, 'step 1 to start on cp-1');

      const signalledAt = performance.now();
      worker.child.kill('SIGTERM');
      await withDeadline(worker.said(/SIGTERM: stopping/), 10_000, 'the worker to begin stopping');
      const stoppingAt = performance.now();
      // Proving an absence takes time: a second on, the worker is still waiting for the step.
      await delay(1000);
      assert.equal(worker.child.exitCode, null, 'the worker waits for the running step');
      assert.equal(
        h.slack.replies(parent.ts).filter((m) => /Step 1\//.test(m.text)).length,
        0,
        'step 1 has not ended',
      );
      await writeFile(release, 'go\n');
      const releasedAt = performance.now();
      const [code, signal] = await withDeadline(worker.exited, 30_000, 'the worker to exit');
      assert.deepEqual([code, signal], [0, null], `exit status; stderr:\n${worker.stderr}`);
      console.log(
        `SIGTERM mid-step: "stopping" ${Math.round(stoppingAt - signalledAt)} ms after the signal; still waiting for the step ${Math.round(releasedAt - signalledAt)} ms after it; exited ${Math.round(performance.now() - releasedAt)} ms after the step was let finish`,
      );
      // The gate goes before anything else on the node calls iptables-save.
      await rm(wrapper, { force: true });
      await rm(started, { force: true });
      await rm(release, { force: true });

      const stop = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes(`Plan \`${planId}\` stopped`)),
        20_000,
        'the stop notice',
      );
      assert.match(
        stop.text,
        /stopped before step 2: this worker is shutting down, and it let the running step finish first/,
      );
      assert.match(
        stop.text,
        /Ran: step 1 \(done\)\. Not run: step 2\. Nothing will be re-run automatically/,
      );
      const texts = h.slack.replies(parent.ts).map((m) => m.text);
      assert.ok(
        texts.some((t) => /:white_check_mark: Step 1\/cp-1: .* done, checked/.test(t)),
        `step 1 completed over the still-open SSH connection:\n${texts.join('\n')}`,
      );
      assert.ok(!texts.some((t) => /rollback/i.test(t)), `no rollback offered:\n${texts.join('\n')}`);
      const stored = (await plans.get(planId))!;
      assert.equal(stored.state, 'stopped');
      assert.deepEqual(stored.steps, { 1: 'done' });
      assert.equal(await redis.get(lockKey('cp-1')), null, 'the node lock is released');
      assert.equal(await redis.sismember(`${KEY_PREFIX}:plans:running`, planId), 0, 'no sweep will claim it');
      assert.match(
        (await labExec(h.lab, 'cp-1', ['iptables-save', '-t', 'filter'])).stdout,
        /-p icmp/,
        'step 2 (delete the rule) did not run',
      );
    } finally {
      await unblock(started);
      await unblock(release);
      await rm(wrapper, { force: true });
      await rm(started, { force: true });
      await rm(release, { force: true });
      await clearFault({ labId: 'ncstop' }, { id: 'icmp-blocked', node: 'cp-1' });
    }
  });
});
