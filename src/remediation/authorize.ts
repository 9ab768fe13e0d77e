import type { Plan } from './plan.js';
import type { DecisionRefusal } from './plan-repository.js';

/** Whether any step of the plan acts on a control-plane node, or changes one (a join token). Pure. */
export function touchesControlPlane(plan: Plan, controlPlane: ReadonlySet<string>): boolean {
  if (controlPlane.size === 0) return false;
  return (
    controlPlane.has(plan.node) ||
    plan.steps.some((s) => controlPlane.has(s.node) || (s.kind === 'join' && controlPlane.has(s.joinFrom)))
  );
}

/**
 * Who may decide a plan (pure). A safe plan on workers only: its requester or an approver. A
 * destructive plan, or any plan that changes a control-plane node (losing it takes the whole
 * cluster down): an approver from NETCHECK_APPROVERS who is not the requester. Rejecting is open
 * to both. `approvers` is the list of user ids, or the answer for this user when approvers may be
 * user groups (resolved by the caller).
 */
export function mayDecide(
  plan: Plan,
  user: string,
  approvers: readonly string[] | boolean,
  decision: 'approve' | 'reject',
  controlPlane: ReadonlySet<string> = new Set(),
): { ok: true } | { ok: false; why: string } {
  const isApprover = typeof approvers === 'boolean' ? approvers : approvers.includes(user);
  const isRequester = user === plan.requestedBy;
  if (decision === 'reject') {
    return isApprover || isRequester
      ? { ok: true }
      : { ok: false, why: 'only the requester or an approver (NETCHECK_APPROVERS) can reject this plan' };
  }
  if (plan.destructive) {
    if (isRequester)
      return {
        ok: false,
        why: 'this plan is destructive: a second person from NETCHECK_APPROVERS must approve it, not the requester',
      };
    if (!isApprover)
      return {
        ok: false,
        why: 'this plan is destructive: only someone listed in NETCHECK_APPROVERS can approve it',
      };
    return { ok: true };
  }
  if (touchesControlPlane(plan, controlPlane)) {
    if (isRequester)
      return {
        ok: false,
        why: `this plan changes the control plane (${plan.node}): a second person from NETCHECK_APPROVERS must approve it, not the requester`,
      };
    if (!isApprover)
      return {
        ok: false,
        why: 'this plan changes the control plane: only someone listed in NETCHECK_APPROVERS can approve it',
      };
    return { ok: true };
  }
  return isRequester || isApprover
    ? { ok: true }
    : { ok: false, why: 'only the requester or an approver (NETCHECK_APPROVERS) can approve this plan' };
}

/**
 * How many different approvers a plan needs. Re-initialising the control plane takes the whole
 * cluster down, so it is gated hardest: two approvers, neither of them the requester.
 */
export function approvalsNeeded(plan: Plan): 1 | 2 {
  return plan.remedy.kind === 'reinit-control-plane' ? 2 : 1;
}

export function approvalRule(plan: Plan, controlPlane: ReadonlySet<string> = new Set()): string {
  if (approvalsNeeded(plan) === 2)
    return 'destructive, whole cluster: needs two different approvers, neither the requester';
  if (plan.destructive) return 'destructive: needs an approver who is not the requester';
  return touchesControlPlane(plan, controlPlane)
    ? 'changes the control plane: needs an approver who is not the requester'
    : 'safe: the requester may approve';
}

/** Why a click changed nothing, for the one who clicked (and the audit summary). */
export function decisionRefusal(refusal: DecisionRefusal): string {
  switch (refusal.code) {
    case 'expired':
      return 'this plan expired (approvals are valid for 15 minutes); run /netcheck again for a fresh plan';
    case 'hash-mismatch':
      return 'this plan changed since it was shown; run /netcheck again and approve the new plan';
    case 'missing':
      return 'this plan no longer exists; run /netcheck again';
    case 'same-approver':
      return 'you already gave the first approval; a second, different approver from NETCHECK_APPROVERS must approve it';
    case 'already-decided':
      return `this plan was already ${refusal.state}; a second click does nothing`;
  }
}
