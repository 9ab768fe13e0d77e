import { planProposed } from '../audit/plan-proposed.js';
import type { ExecutorDeps } from './executor-deps.js';
import type { Plan } from './plan.js';
import { rollbackPlanFor } from './runbooks.js';

/**
 * After a plan stopped half way (a failed step, or its worker died), offers the rollback that
 * restores what it changed from its backup, under the same approval rules. A rollback plan is not
 * itself rolled back: that is left to a human.
 */
export async function offerRollback(
  deps: Pick<ExecutorDeps, 'plans' | 'post' | 'audit' | 'newPlanId' | 'now' | 'isoNow'>,
  plan: Plan,
  text: string,
): Promise<void> {
  if (plan.rollbackOf) return;
  const rollback = rollbackPlanFor(plan, { planId: deps.newPlanId(), createdAt: deps.isoNow() });
  await deps.plans.save(rollback, deps.now());
  await deps.audit.record(planProposed(rollback, 'netcheck'));
  await deps.post({ kind: 'plan-offered', runId: plan.runId, plan: rollback, text });
}
