import type { AuditEvent } from './audit-event.js';

/**
 * The parts of a remediation plan its audit event names. A structural type, so audit/ stays below
 * remediation/ in the layering: any `Plan` fits.
 */
export interface ProposedPlan {
  readonly planId: string;
  readonly runId: string;
  readonly causeId: string;
  readonly node: string;
  readonly steps: readonly unknown[];
  readonly destructive: boolean;
  readonly hash: string;
  readonly rollbackOf?: string | undefined;
}

/** The `plan.proposed` event (pure): what was offered, pinned by its hash. */
export function planProposed(plan: ProposedPlan, actor: string): AuditEvent {
  return {
    type: 'plan.proposed',
    actor,
    runId: plan.runId,
    planId: plan.planId,
    node: plan.node,
    summary: `plan for \`${plan.causeId}\`: ${plan.steps.length} steps${plan.destructive ? ', destructive' : ''}, hash ${plan.hash.slice(0, 12)}`,
    data: {
      hash: plan.hash,
      causeId: plan.causeId,
      destructive: plan.destructive,
      rollbackOf: plan.rollbackOf ?? null,
    },
  };
}
