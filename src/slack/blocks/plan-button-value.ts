/**
 * What a plan's buttons carry back: the plan id and the hash of the plan shown with them, so the
 * approval (and the executor after it) is bound to what the approver saw, not to what Redis holds
 * at click time. `plan-…:<64 hex>`; a value without a hash is still read (Reject needs none).
 */
export function planButtonValue(plan: { readonly planId: string; readonly hash: string }): string {
  return `${plan.planId}:${plan.hash}`;
}

export function parsePlanButtonValue(
  value: string | undefined,
): { readonly planId: string; readonly hash: string | undefined } | undefined {
  const m = /^([A-Za-z0-9-]{1,80})(?::([0-9a-f]{64}))?$/.exec(value ?? '');
  return m ? { planId: m[1]!, hash: m[2] } : undefined;
}
