import type { CatalogId } from '../catalog.js';
import type { CheckKey } from '../check-id.js';
import { checkKey, OVERLAY_CHECK_KINDS } from '../check-id.js';
import type { CheckIndex } from '../check-index.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import type { Finding } from '../finding.js';
import { checksDroppedBy, type FailedFlow, failedFlows } from './failed-flows.js';
import { deleteRemedy, firewallFix, hitEvidence, hitId, hitPlace, uniqueHits } from './firewall-hit-text.js';
import { type FirewallHit, flowDrops } from './flow-drops.js';

export interface BlockedOptions {
  readonly id: CatalogId;
  /** The failed flows this catalog id is about (e.g. the ICMP of failed pings). */
  readonly flows: readonly FailedFlow[];
  /** Whether a drop counts as this id's cause (an ICMP-only rule for icmp-blocked, say). */
  readonly keep: (hit: FirewallHit, flow: FailedFlow) => boolean;
  /** The traffic in words: "ICMP", "6443/tcp". */
  readonly traffic: string;
  /** Extra evidence for a node's finding (what still works, for contrast). */
  readonly contrast?: Evidence[];
}

export interface Blocked {
  readonly findings: Finding[];
  /** Flows nothing on either node certainly drops. */
  readonly unmatched: FailedFlow[];
  /** Rules that drop those flows only if a condition netcheck could not evaluate holds. */
  readonly may: FirewallHit[];
  /** Why a node's firewall could not be read whole, for those flows. */
  readonly unreadable: string[];
}

const dedupeEvidence = (items: Evidence[]) => {
  const seen = new Set<string>();
  return items.filter((e) => {
    const k = JSON.stringify(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

/**
 * Findings for drops in the firewalls of the nodes at either end of failed flows: one per node
 * holding a dropping rule. Each names the exact rules, deletes exactly them, and explains every
 * failed check whose traffic those rules drop (an overlay ping through a node that drops ICMP too).
 */
export function blockedFindings(view: FactView, checks: CheckIndex, opts: BlockedOptions): Blocked {
  const byNode = new Map<string, { hits: FirewallHit[]; flows: FailedFlow[] }>();
  const unmatched: FailedFlow[] = [];
  const may: FirewallHit[] = [];
  const unreadable = new Set<string>();
  for (const flow of opts.flows) {
    const r = flowDrops(view, flow.legs);
    const hits = r.drops.filter((h) => opts.keep(h, flow));
    if (hits.length === 0) {
      unmatched.push(flow);
      may.push(...r.may.filter((h) => opts.keep(h, flow)));
      for (const u of r.unreadable) unreadable.add(u);
      continue;
    }
    for (const h of hits) {
      const entry = byNode.get(h.node) ?? { hits: [], flows: [] };
      entry.hits.push(h);
      if (!entry.flows.includes(flow)) entry.flows.push(flow);
      byNode.set(h.node, entry);
    }
  }
  const all = failedFlows(view, checks);
  const findings = [...byNode].map(([node, { hits, flows }]): Finding => {
    const unique = uniqueHits(hits);
    const explains = new Set<CheckKey>([
      ...flows.map((f) => checkKey(f.check)),
      ...checksDroppedBy(view, all, unique),
    ]);
    const remedy = deleteRemedy(node, unique);
    const titles = flows.map((f) => f.check.title);
    // Other failed checks the same rules stop (a default-deny policy stops more than this traffic);
    // not the full-size overlay ping beside a small one already named (the same packets, larger).
    const named = (c: FailedFlow['check']) =>
      flows.some(
        (g) =>
          g.check === c ||
          (OVERLAY_CHECK_KINDS.has(g.check.kind) &&
            OVERLAY_CHECK_KINDS.has(c.kind) &&
            g.check.peer === c.peer),
      );
    const also = [
      ...new Set(
        all.filter((f) => explains.has(checkKey(f.check)) && !named(f.check)).map((f) => f.check.title),
      ),
    ];
    return {
      id: opts.id,
      node,
      cause: `${capitalise(hitPlace(unique[0]!))} on ${node} ${unique.every((h) => h.point.rule?.verdict.kind === 'reject') ? 'rejects' : 'drops'} ${opts.traffic}${unique.length > 1 ? ` (and ${unique.length - 1} more)` : ''}, so ${titles.slice(0, 2).join('; ')}${titles.length > 2 ? ` (+${titles.length - 2} more)` : ''} failed${also.length > 0 ? `; it also stops ${also.slice(0, 2).join('; ')}${also.length > 2 ? ` (+${also.length - 2} more)` : ''}` : ''}.`,
      // The rule first: it is the decisive evidence, and a report shows only the first few items.
      evidence: dedupeEvidence([
        ...hitEvidence(
          view,
          unique,
          (h) => `${h.point.rule ? 'rule' : 'policy'} on ${h.node} drops ${opts.traffic}`,
        ),
        ...flows.flatMap((f) => f.check.evidence.slice(0, 1)),
        ...(opts.contrast ?? []),
      ]),
      confidence: 'high',
      explainsChecks: [...explains],
      explainsFindings: [],
      fix: firewallFix(node, unique, remedy),
      remedy,
      blames: unique.map(hitId).sort(),
    };
  });
  return { findings, unmatched, may: uniqueHits(may), unreadable: [...unreadable] };
}

/** A finding for rules that may drop the traffic (a match netcheck could not evaluate): no plan. */
export function mayFinding(
  view: FactView,
  opts: BlockedOptions,
  flows: readonly FailedFlow[],
  may: readonly FirewallHit[],
): Finding {
  const first = may[0]!;
  return {
    id: opts.id,
    node: first.node,
    cause: `${capitalise(hitPlace(first))} on ${first.node} may drop ${opts.traffic}: part of its match could not be evaluated, so netcheck cannot say it does.`,
    evidence: dedupeEvidence([
      ...hitEvidence(view, may, (h) => `may drop ${opts.traffic} on ${h.node}`),
      ...flows.flatMap((f) => f.check.evidence.slice(0, 1)),
      ...(opts.contrast ?? []),
    ]),
    confidence: 'medium',
    explainsChecks: flows.map((f) => checkKey(f.check)),
    explainsFindings: [],
    fix: `Check the rule named in the evidence on ${first.node}; netcheck could not evaluate all of its match, so it offers no plan.`,
  };
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
