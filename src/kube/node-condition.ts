/** The node condition a sweep sets while a network problem lasts (issue 16). */
export const NETWORK_PROBLEM_CONDITION = 'NetcheckNetworkProblem';

/** The reason once the problem is gone. */
export const NETWORK_OK_REASON = 'NetworkOk';

/** What netcheck wants a node's `NetcheckNetworkProblem` condition to say. */
export interface NetworkCondition {
  readonly status: 'True' | 'False';
  /** CamelCase, as Kubernetes requires of a reason (`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`). */
  readonly reason: string;
  readonly message: string;
}

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/**
 * A catalog id as a condition reason (pure): `icmp-blocked` → `IcmpBlocked`,
 * `vxlan-8472-blocked` → `Vxlan8472Blocked`. Kubernetes refuses a reason with a `-`, so the id's
 * words are joined and capitalised; the id itself stays in the message. Anything that would still
 * not be a valid reason becomes `NetworkProblem`.
 */
export function conditionReason(catalogId: string): string {
  const reason = catalogId
    .split('-')
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return REASON.test(reason) ? reason : 'NetworkProblem';
}

/** Kubernetes caps a condition message at 32 KiB; a headline is far shorter, but a node's text is hostile. */
const MAX_MESSAGE = 1024;

export function problemCondition(catalogId: string, headline: string): NetworkCondition {
  return {
    status: 'True',
    reason: conditionReason(catalogId),
    message: `${catalogId}: ${headline}`.slice(0, MAX_MESSAGE),
  };
}

export const networkOkCondition: NetworkCondition = {
  status: 'False',
  reason: NETWORK_OK_REASON,
  message: 'netcheck sweeps see no network problem on this node',
};

/** What a condition write came to: written, or skipped because the API server did not answer. */
export type ConditionOutcome =
  | { readonly status: 'written' }
  | { readonly status: 'skipped'; readonly error: string };
