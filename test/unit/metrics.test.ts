import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observeAuditEvent } from '../../src/audit/audit-metrics.js';
import { mergeExposition } from '../../src/metrics/merge-exposition.js';
import { NetcheckMetrics, SCRAPE_DEADLINE_MS } from '../../src/metrics/netcheck-metrics.js';
import { sampleValue } from '../support/prometheus-text.js';

const vocabulary = {
  catalogIds: ['icmp-blocked'],
  sshErrorCodes: ['node-unreachable'],
  planStates: ['proposed', 'done'],
};
const fresh = () => new NetcheckMetrics(vocabulary, { defaultMetrics: false });

describe('metrics', () => {
  it('label values are bounded: anything outside the vocabulary is counted as other', async () => {
    const m = fresh();
    m.diagnosis('faulty', 2.5, ['icmp-blocked', 'node-3; rm -rf /']);
    m.sshFailure('something new');
    m.slackError('some_new_slack_error');
    m.setPlans(
      new Map([
        ['proposed', 2],
        ['weird', 1],
      ]),
    );
    const text = await m.render();
    assert.equal(sampleValue(text, 'netcheck_root_causes_total', { catalog_id: 'icmp-blocked' }), 1);
    assert.equal(sampleValue(text, 'netcheck_root_causes_total', { catalog_id: 'other' }), 1);
    assert.equal(sampleValue(text, 'netcheck_ssh_failures_total', { kind: 'other' }), 1);
    assert.equal(sampleValue(text, 'netcheck_ssh_failures_total', { kind: 'node-unreachable' }), 0);
    assert.equal(sampleValue(text, 'netcheck_slack_errors_total', { code: 'other' }), 1);
    assert.equal(sampleValue(text, 'netcheck_plans', { state: 'proposed' }), 2);
    assert.equal(sampleValue(text, 'netcheck_plans', { state: 'done' }), 0);
    assert.equal(sampleValue(text, 'netcheck_plans', { state: 'other' }), 1);
    assert.equal(sampleValue(text, 'netcheck_diagnosis_duration_seconds_count', { verdict: 'faulty' }), 1);
    assert.doesNotMatch(text, /rm -rf|node-3|something new/);
  });

  it('audit events drive the counters: SSH failures, timeouts, steps, decisions, refusals', async () => {
    const m = fresh();
    const base = { actor: 'netcheck', summary: 's' };
    observeAuditEvent(m, {
      ...base,
      type: 'probe.batch',
      data: { connection: 'node-unreachable', timedOut: 0 },
    });
    observeAuditEvent(m, { ...base, type: 'probe.batch', data: { connection: 'ok', timedOut: 3 } });
    observeAuditEvent(m, { ...base, type: 'step.finished', data: { ok: true } });
    observeAuditEvent(m, { ...base, type: 'step.finished', data: { ok: false } });
    observeAuditEvent(m, {
      ...base,
      type: 'plan.approved',
      data: { proposedAt: '2026-11-25T10:00:00.000Z', decidedAtMs: Date.parse('2026-11-25T10:01:30.000Z') },
    });
    observeAuditEvent(m, { ...base, type: 'access.refused', data: { kind: 'command' } });
    observeAuditEvent(m, { ...base, type: 'access.refused', data: { kind: 'action' } });
    const text = await m.render();
    assert.equal(sampleValue(text, 'netcheck_ssh_failures_total', { kind: 'node-unreachable' }), 1);
    assert.equal(sampleValue(text, 'netcheck_probe_timeouts_total'), 3);
    assert.equal(sampleValue(text, 'netcheck_remediation_steps_total', { outcome: 'ok' }), 1);
    assert.equal(sampleValue(text, 'netcheck_remediation_steps_total', { outcome: 'failed' }), 1);
    assert.equal(sampleValue(text, 'netcheck_plan_decision_seconds_sum', { decision: 'approved' }), 90);
    assert.equal(
      sampleValue(text, 'netcheck_plan_decision_seconds_bucket', { decision: 'approved', le: '60' }),
      0,
    );
    assert.equal(
      sampleValue(text, 'netcheck_plan_decision_seconds_bucket', { decision: 'approved', le: '120' }),
      1,
    );
    assert.equal(sampleValue(text, 'netcheck_commands_total', { outcome: 'denied' }), 1);
  });

  it('a Redis source that hangs or fails: render answers after its deadline with netcheck_redis_up 0', async () => {
    const m = fresh();
    let answer: Promise<string | undefined> = Promise.resolve('# TYPE x_total counter\nx_total 7');
    m.addSource({ name: 'redis', redis: true, collect: () => answer });
    assert.equal(sampleValue(await m.render(), 'netcheck_redis_up'), 1);
    assert.equal(sampleValue(await m.render(), 'x_total'), 7);
    answer = new Promise(() => undefined);
    const started = performance.now();
    const text = await m.render();
    const ms = performance.now() - started;
    assert.ok(ms >= SCRAPE_DEADLINE_MS - 50 && ms < SCRAPE_DEADLINE_MS + 1000, `${ms} ms`);
    assert.equal(sampleValue(text, 'netcheck_redis_up'), 0);
    assert.match(text, /netcheck_commands_total\{outcome="queued"\} 0/);
    answer = Promise.reject(new Error('ECONNREFUSED'));
    assert.equal(sampleValue(await m.render(), 'netcheck_redis_up'), 0);
  });

  it('merging expositions keeps one HELP/TYPE per family and groups its samples', () => {
    const q = (name: string, n: number) =>
      `# HELP bullmq_job_count Jobs\n# TYPE bullmq_job_count gauge\nbullmq_job_count{queue="${name}"} ${n}\n# HELP bullmq_job_failed_total F\n# TYPE bullmq_job_failed_total counter\nbullmq_job_failed_total{queue="${name}"} 0`;
    const merged = mergeExposition([
      '# HELP h H\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
      q('probe', 1),
      q('outbox', 2),
    ]);
    assert.equal(
      merged,
      [
        '# HELP h H',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_sum 1',
        'h_count 1',
        '# HELP bullmq_job_count Jobs',
        '# TYPE bullmq_job_count gauge',
        'bullmq_job_count{queue="probe"} 1',
        'bullmq_job_count{queue="outbox"} 2',
        '# HELP bullmq_job_failed_total F',
        '# TYPE bullmq_job_failed_total counter',
        'bullmq_job_failed_total{queue="probe"} 0',
        'bullmq_job_failed_total{queue="outbox"} 0',
        '',
      ].join('\n'),
    );
  });
});
