import type { Plan } from './plan.js';
import type { DecisionRefusal } from './plan-repository.js';

/**
 * Who may decide a plan (pure). A safe plan: its requester or an approver. A destructive plan: an
 * approver from NETCHECK_APPROVERS who is not the requester. Rejecting is open to both.
 */
export function mayDecide(
  plan: Plan,
  user: string,
  approvers: readonly string[],
  decision: 'approve' | 'reject',
): { ok: true } | { ok: false; why: string } {
  const isApprover = approvers.includes(user);
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

export function approvalRule(plan: Plan): string {
  if (approvalsNeeded(plan) === 2)
    return 'destructive, whole cluster: needs two different approvers, neither the requester';
  return plan.destructive
    ? 'destructive: needs an approver who is not the requester'
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
