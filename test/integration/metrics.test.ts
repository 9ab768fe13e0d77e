import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { addFault } from '../../src/lab/lab.js';
import { freePort } from '../support/free-port.js';
import { type Harness, startHarness } from '../support/netcheck-harness.js';
import { sampleValue, scrape } from '../support/prometheus-text.js';
import { spawnWorker } from '../support/worker-process.js';

const LAB = 'ncops';
const FAULT = 'ip-forward-disabled';

/** Polls `probe` until it holds (an HTTP endpoint coming up has no event to await), bounded. */
async function until(what: string, probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

const moved = (before: string, after: string, name: string, labels: Record<string, string> = {}) =>
  sampleValue(after, name, labels) - sampleValue(before, name, labels);

describe('GET /metrics', () => {
  let h: Harness;
  let worker: ChildProcess | undefined;

  before(async () => {
    h = await startHarness({
      labId: LAB,
      netIndex: 120,
      workers: 2,
      env: { NETCHECK_AUDIT_CHANNEL: 'C0AUDIT' },
    });
    await addFault({ labId: LAB }, { id: FAULT, node: 'node-2' });
  });
  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = once(worker, 'exit');
      worker.kill('SIGKILL');
      await exited;
    }
    await h?.close();
  });

  it('one process (NETCHECK_ROLE=all): a /netcheck moves the command, diagnosis and root-cause series', async () => {
    const first = await scrape(h.appUrl);
    assert.equal(sampleValue(first, 'netcheck_redis_up'), 1);
    assert.match(first, /^# TYPE netcheck_diagnosis_duration_seconds histogram$/m);
    // BullMQ's own export, once per family although it covers every queue.
    assert.equal(first.match(/^# TYPE bullmq_job_count gauge$/gm)?.length, 1);

    const { report } = await h.check('node-2', { timeoutMs: 30_000 });
    assert.match(report.text, new RegExp(FAULT));
    const second = await scrape(h.appUrl);
    assert.equal(moved(first, second, 'netcheck_commands_total', { outcome: 'queued' }), 1);
    assert.equal(moved(first, second, 'netcheck_diagnosis_duration_seconds_count', { verdict: 'faulty' }), 1);
    assert.ok(moved(first, second, 'netcheck_diagnosis_duration_seconds_sum', { verdict: 'faulty' }) > 0);
    assert.equal(moved(first, second, 'netcheck_root_causes_total', { catalog_id: FAULT }), 1);
    assert.equal(moved(first, second, 'bullmq_job_count', { queue: 'probe', state: 'completed' }), 1);
    assert.ok(sampleValue(second, 'netcheck_plans', { state: 'proposed' }) >= 0);

    const refused = await h.command('Not_A_Node');
    assert.equal(refused.status, 200);
    const third = await scrape(h.appUrl);
    assert.equal(moved(second, third, 'netcheck_commands_total', { outcome: 'invalid' }), 1);
    assert.equal(moved(second, third, 'netcheck_commands_total', { outcome: 'queued' }), 0);
    // The bot mirrors the audit log: its lag is exported and drains to 0 once the lines are posted.
    assert.match(third, /^netcheck_audit_mirror_lag_seconds \d/m);
    await until('the audit mirror to catch up', async () => {
      const text = await scrape(h.appUrl);
      return (
        sampleValue(text, 'netcheck_audit_mirror_lag_entries') === 0 && h.slack.topLevel('C0AUDIT').length > 0
      );
    });
    // No node name or user ever becomes a label value.
    assert.doesNotMatch(third, /node-2|U0ONCALL|Not_A_Node/);
  });

  it('a frozen Redis: /metrics still answers, with netcheck_redis_up 0, and 1 once Redis is back', async () => {
    h.redis.pause();
    try {
      const started = performance.now();
      const text = await scrape(h.appUrl);
      const ms = performance.now() - started;
      assert.ok(ms < 4000, `the scrape took ${Math.round(ms)} ms`);
      assert.equal(sampleValue(text, 'netcheck_redis_up'), 0);
      assert.ok(sampleValue(text, 'netcheck_commands_total', { outcome: 'queued' }) >= 1);
    } finally {
      h.redis.resume();
    }
    await until(
      'netcheck_redis_up 1',
      async () => sampleValue(await scrape(h.appUrl), 'netcheck_redis_up') === 1,
    );
  });

  it('split layout: a worker process serves /healthz and /metrics on PORT; diagnoses count there, commands in the bot', async () => {
    await h.restartApp({ NETCHECK_ROLE: 'bot', NETCHECK_PLAN_KEY: '' });
    const port = await freePort();
    worker = spawnWorker(h, { PORT: String(port) });
    const workerUrl = `http://127.0.0.1:${port}`;
    await until('the worker /healthz', async () => (await fetch(`${workerUrl}/healthz`)).status === 200);
    const health = (await (await fetch(`${workerUrl}/healthz`)).json()) as Record<string, unknown>;
    assert.deepEqual(health, { ok: true, role: 'worker', redis: 'ok' });
    assert.equal((await fetch(`${workerUrl}/slack/events`, { method: 'POST' })).status, 404);

    const [w1, b1] = await Promise.all([scrape(workerUrl), scrape(h.appUrl)]);
    await h.check('node-2', { timeoutMs: 30_000 });
    const [w2, b2] = await Promise.all([scrape(workerUrl), scrape(h.appUrl)]);
    assert.equal(moved(w1, w2, 'netcheck_diagnosis_duration_seconds_count', { verdict: 'faulty' }), 1);
    assert.equal(moved(w1, w2, 'netcheck_root_causes_total', { catalog_id: FAULT }), 1);
    assert.equal(moved(w1, w2, 'netcheck_commands_total', { outcome: 'queued' }), 0);
    assert.equal(moved(b1, b2, 'netcheck_commands_total', { outcome: 'queued' }), 1);
    assert.equal(moved(b1, b2, 'netcheck_diagnosis_duration_seconds_count', { verdict: 'faulty' }), 0);
    // Both see the shared queues: BullMQ's counts come from Redis.
    assert.equal(moved(w1, w2, 'bullmq_job_count', { queue: 'probe', state: 'completed' }), 1);
    assert.equal(sampleValue(w2, 'netcheck_redis_up'), 1);
  });
});
