import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { CATALOG_IDS } from '../../src/diagnosis/catalog.js';
import { NetcheckMetrics } from '../../src/metrics/netcheck-metrics.js';
import { PLAN_TRANSITIONS } from '../../src/remediation/plan-state.js';
import { SSH_ERROR_CODES } from '../../src/ssh/ssh-error.js';

const RULES = new URL('../../docs/prometheus-alerts.yml', import.meta.url);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring']);

/** The metric names an expression reads: identifiers that are not functions, keywords, labels or strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined)
    .map((m) => m[1]!)
    .filter((w) => !PROMQL_WORDS.has(w));
}

async function exportedNames(): Promise<Set<string>> {
  const metrics = new NetcheckMetrics({
    catalogIds: CATALOG_IDS,
    sshErrorCodes: SSH_ERROR_CODES,
    planStates: Object.keys(PLAN_TRANSITIONS),
  });
  const names = new Set<string>(['up']); // Prometheus's own, one per scrape target
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  // BullMQ's built-in export (Queue.exportPrometheusMetrics), as the installed version spells it.
  const require = createRequire(import.meta.url);
  const bullmq = await readFile(
    require.resolve('bullmq').replace(/index\.js$/, 'classes/queue-getters.js'),
    'utf8',
  );
  for (const name of bullmq.matchAll(/# TYPE (bullmq_[a-z_]+)/g)) names.add(name[1]!);
  return names;
}

describe('docs/prometheus-alerts.yml', () => {
  it('parses, every rule is complete, and every metric it reads is one netcheck (or BullMQ) exports', async () => {
    const doc = parse(await readFile(RULES, 'utf8')) as {
      groups: {
        name: string;
        rules: {
          alert: string;
          expr: string;
          labels: { severity: string };
          annotations: { summary: string };
        }[];
      }[];
    };
    const names = await exportedNames();
    assert.ok(names.has('bullmq_job_count'), 'BullMQ export names were found');
    const rules = doc.groups.flatMap((g) => g.rules);
    assert.ok(rules.length >= 8);
    const alerts = rules.map((r) => r.alert);
    for (const wanted of [
      'NetcheckDown',
      'NetcheckOutboxBacklogGrowing',
      'NetcheckSlackErrors',
      'NetcheckAuditMirrorLag',
      'NetcheckSshFailuresSpike',
      'NetcheckRemediationStepFailed',
    ])
      assert.ok(alerts.includes(wanted), `${wanted} is missing`);
    assert.equal(new Set(alerts).size, alerts.length, 'alert names are unique');
    for (const rule of rules) {
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels.severity), `${rule.alert}: severity`);
      assert.ok(rule.annotations.summary.length > 10, `${rule.alert}: summary`);
      const used = metricNames(rule.expr);
      assert.ok(used.length > 0, `${rule.alert}: reads no metric`);
      for (const name of used)
        assert.ok(names.has(name), `${rule.alert}: ${name} is not exported by netcheck`);
    }
  });

  it('the expression reader finds metric names and nothing else', () => {
    assert.deepEqual(
      metricNames('sum by (code) (rate(netcheck_slack_errors_total{code!="x"}[10m])) > 0 and up == 1'),
      ['netcheck_slack_errors_total', 'up'],
    );
    assert.deepEqual(metricNames('histogram_quantile(0.9, sum by (le) (rate(a_bucket[5m])))'), ['a_bucket']);
  });
});
