import type { ClusterFacts } from '../probes/cluster-facts.js';
import { PROBE } from '../probes/probe-registry.js';
import { catalogRank } from './catalog.js';
import type { Check } from './check.js';
import { checkKey } from './check-id.js';
import { CheckIndex } from './check-index.js';
import { buildChecks } from './checks/all-checks.js';
import type { DiagnosisReport } from './diagnosis-report.js';
import { FactView } from './fact-view.js';
import type { Confidence, Finding, RootCause } from './finding.js';
import { ALL_RULES } from './rules/all-rules.js';
import type { Rule } from './rules/rule.js';

const CONFIDENCE_ORDER: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

const byRank = (a: Finding, b: Finding): number =>
  CONFIDENCE_ORDER[a.confidence] - CONFIDENCE_ORDER[b.confidence] || catalogRank(a.id) - catalogRank(b.id);

/**
 * Two firewall findings on one node that blame exactly the same rules or policies: `child` is the
 * same cause as `parent`, ranked after it, through other traffic (finding.ts `blames`).
 */
function sameBlame(parent: Finding, child: Finding): boolean {
  const p = parent.blames;
  const c = child.blames;
  return (
    p !== undefined &&
    c !== undefined &&
    p.length > 0 &&
    parent.node === child.node &&
    p.length === c.length &&
    p.every((id, i) => id === c[i]) &&
    byRank(parent, child) < 0
  );
}

/** Pure: the same facts always give the same report. */
export function diagnose(facts: ClusterFacts, rules: readonly Rule[] = ALL_RULES): DiagnosisReport {
  const view = new FactView(facts);
  const checks = buildChecks(view);
  const index = new CheckIndex(checks);
  const findings = rules.flatMap((rule) => rule.evaluate(view, index));

  // A finding explained by another is folded under it; the rest are root causes.
  const folded = new Set<Finding>();
  const explains = (parent: Finding, child: Finding): boolean =>
    child !== parent &&
    ((parent.explainsFindings.includes(child.id) && !child.explainsFindings.includes(parent.id)) ||
      sameBlame(parent, child));
  for (const parent of findings) for (const child of findings) if (explains(parent, child)) folded.add(child);
  const byKey = new Map(checks.map((c) => [checkKey(c), c]));
  const explained = new Set(findings.flatMap((f) => f.explainsChecks));
  const rootCauses: RootCause[] = findings
    .filter((f) => !folded.has(f))
    .sort(byRank)
    .map((f) => {
      const children = findings.filter((c) => folded.has(c) && explains(f, c));
      const keys = new Set([...f.explainsChecks, ...children.flatMap((c) => c.explainsChecks)]);
      return {
        ...f,
        folded: children,
        explainedChecks: [...keys].map((k) => byKey.get(k)).filter((c): c is Check => c?.status === 'fail'),
      };
    });
  const unexplained = checks.filter((c) => c.status === 'fail' && !explained.has(checkKey(c)));
  const unknowns = checks.filter((c) => c.status === 'unknown');

  const notes: string[] = [];
  const cp = view.controlPlane;
  if (cp && !cp.connection.ok && cp.name !== facts.target) {
    notes.push(
      `Facts from the control plane ${cp.name} are missing (${cp.connection.code}); causes on its side cannot be confirmed.`,
    );
  }
  const services = view.parsed(facts.target, PROBE.services);
  if (services.status === 'ok' && Object.keys(services.value).length > 0) {
    const down = Object.entries(services.value).filter(([, state]) => state !== 'active');
    notes.push(
      down.length > 0
        ? `On ${facts.target}: ${down.map(([s, state]) => `${s} is ${state}`).join(', ')} (systemctl is-active).`
        : `On ${facts.target}: ${Object.keys(services.value).join(' and ')} active.`,
    );
  }
  if (facts.kube.status === 'unreachable') {
    notes.push(
      facts.kube.cached
        ? `The Kubernetes API could not be asked (${facts.kube.error}); node facts such as podCIDR come from the last node list seen at ${facts.kube.cached.fetchedAt}.`
        : `The Kubernetes API could not be asked (${facts.kube.error}) and no earlier node list is known; only SSH facts were used.`,
    );
  }

  const verdict =
    rootCauses.length > 0 || unexplained.length > 0 ? 'faulty' : unknowns.length > 0 ? 'unknown' : 'healthy';
  return {
    node: facts.target,
    verdict,
    headline: headline(facts.target, verdict, rootCauses, unexplained, unknowns, checks.length),
    rootCauses,
    unexplained,
    unknowns,
    checks,
    notes,
    durationMs: facts.durationMs,
    collectedAt: facts.collectedAt,
  };
}

function headline(
  node: string,
  verdict: DiagnosisReport['verdict'],
  roots: RootCause[],
  unexplained: Check[],
  unknowns: Check[],
  total: number,
): string {
  const first = roots[0];
  if (first) {
    const more = roots.length > 1 ? ` (+${roots.length - 1} more)` : '';
    return `\`${first.id}\` — ${first.cause}${more}`;
  }
  if (verdict === 'faulty') {
    return `no known cause matched, but ${unexplained.length} check(s) failed on ${node}: ${unexplained.map((c) => c.title).join('; ')}`;
  }
  if (verdict === 'unknown') {
    return `no fault found, but ${unknowns.length} check(s) could not be made, so ${node} is not confirmed healthy`;
  }
  return `\`healthy\` — all ${total} checks passed on ${node}`;
}
