import type { Auditor } from '../audit/audit-event.js';
import {
  type ConditionOutcome,
  NETWORK_PROBLEM_CONDITION,
  type NetworkCondition,
  networkOkCondition,
  problemCondition,
} from '../kube/node-condition.js';
import type { ProblemRecord, WrittenCondition } from '../store/sweep-state-store.js';

export type SetCondition = (node: string, condition: NetworkCondition) => Promise<ConditionOutcome>;

/** What happened to one node's condition in this sweep, as a line for its messages. */
export interface ConditionResult {
  readonly wanted: NetworkCondition;
  /** written now, already so (nothing to write), skipped (API down), or off (no KUBECONFIG). */
  readonly outcome: 'written' | 'unchanged' | 'skipped' | 'off';
  readonly error?: string | undefined;
}

/**
 * The condition each node should carry (pure): True with the reason of its oldest announced problem
 * while any lasts; False (`NetworkOk`) on a node that was marked and has none left. Nodes never
 * marked are left alone, so a healthy cluster costs no API writes. Only the nodes in `scope` (a
 * zone's sweep: its zone's nodes): another zone's marks are its own sweeps' to set or clear.
 */
export function wantedConditions(
  records: readonly ProblemRecord[],
  written: ReadonlyMap<string, WrittenCondition>,
  scope: ReadonlySet<string>,
): Map<string, NetworkCondition> {
  const open = records
    .filter((r) => scope.has(r.node) && (r.phase === 'open' || r.phase === 'clearing'))
    .sort((a, b) => a.since.localeCompare(b.since) || a.key.localeCompare(b.key));
  const wanted = new Map<string, NetworkCondition>();
  for (const r of open) if (!wanted.has(r.node)) wanted.set(r.node, problemCondition(r.causeId, r.headline));
  for (const [node, w] of written)
    if (scope.has(node) && w.status === 'True' && !wanted.has(node)) wanted.set(node, networkOkCondition);
  return wanted;
}

const same = (a: WrittenCondition | undefined, b: NetworkCondition) =>
  a?.status === b.status && a.reason === b.reason && a.message === b.message;

/**
 * Brings each node's `NetcheckNetworkProblem` condition to what it should be, writing only what
 * changed. A write the API server does not answer is skipped (and tried again next sweep).
 */
export async function reconcileConditions(
  deps: {
    readonly setCondition: SetCondition | undefined;
    readonly recordWritten: (node: string, c: WrittenCondition) => Promise<void>;
    readonly audit: Auditor;
    readonly sweepId: string;
  },
  wanted: ReadonlyMap<string, NetworkCondition>,
  written: ReadonlyMap<string, WrittenCondition>,
): Promise<Map<string, ConditionResult>> {
  const results = new Map<string, ConditionResult>();
  for (const [node, condition] of wanted) {
    if (same(written.get(node), condition)) {
      results.set(node, { wanted: condition, outcome: 'unchanged' });
      continue;
    }
    if (!deps.setCondition) {
      results.set(node, { wanted: condition, outcome: 'off' });
      continue;
    }
    const outcome = await deps.setCondition(node, condition);
    if (outcome.status === 'written') await deps.recordWritten(node, condition);
    const error = outcome.status === 'skipped' ? outcome.error : undefined;
    await deps.audit.record({
      type: 'node.condition',
      actor: 'netcheck',
      node,
      summary:
        outcome.status === 'written'
          ? `node condition ${NETWORK_PROBLEM_CONDITION}=${condition.status} (${condition.reason}) written`
          : `node condition ${NETWORK_PROBLEM_CONDITION}=${condition.status} (${condition.reason}) not written: the Kubernetes API did not answer (${error})`,
      data: { sweepId: deps.sweepId, ...condition, written: outcome.status === 'written', error },
    });
    results.set(node, { wanted: condition, outcome: outcome.status, error });
  }
  return results;
}

/** One line about a node's condition for a sweep message. */
export function conditionNote(result: ConditionResult | undefined): string {
  const name = `node condition \`${NETWORK_PROBLEM_CONDITION}\``;
  if (!result) return `${name} unchanged`;
  const what = `${result.wanted.status} (\`${result.wanted.reason}\`)`;
  switch (result.outcome) {
    case 'written':
      return `${name} set to ${what}`;
    case 'unchanged':
      return `${name} is ${what}`;
    case 'off':
      return `${name} not written: no KUBECONFIG, so the Kubernetes API is not used`;
    case 'skipped':
      return `:warning: ${name} not set to ${what}: the Kubernetes API did not answer (${result.error ?? 'no answer'}); skipped, tried again next sweep`;
  }
}
