import { planProposed } from '../audit/plan-proposed.js';
import type { ExecutorDeps } from './executor-deps.js';
import type { Plan } from './plan.js';
import { rollbackPlanFor } from './runbooks.js';

/**
 * After a plan stopped half way (a failed step, or its worker died), offers the rollback that
 * restores what it changed from its backup, under the same approval rules. A rollback plan is not
 * itself rolled back: that is left to a human. The rollback is derived from the plan as stored, so
 * that plan must still carry a valid worker signature; the rollback is signed in turn.
 */
export async function offerRollback(
  deps: Pick<ExecutorDeps, 'plans' | 'post' | 'audit' | 'newPlanId' | 'now' | 'isoNow' | 'signer'>,
  plan: Plan,
  text: string,
): Promise<void> {
  if (plan.rollbackOf) return;
  if (!deps.signer.verify(plan).ok) {
    await deps.audit.record({
      type: 'plan.refused',
      actor: 'netcheck',
      runId: plan.runId,
      planId: plan.planId,
      node: plan.node,
      summary: 'no rollback offered: the stored plan is not one a worker signed (it was changed in Redis)',
      data: { reason: 'bad-signature' },
    });
    await deps.post({
      kind: 'progress',
      runId: plan.runId,
      seq: `${plan.planId}-no-rollback`,
      text: `:no_entry: No rollback is offered for \`${plan.planId}\`: the plan stored in Redis no longer matches its worker signature, so nothing derived from it is trusted. Check the node by hand.`,
    });
    return;
  }
  const rollback = deps.signer.sign(
    rollbackPlanFor(plan, { planId: deps.newPlanId(), createdAt: deps.isoNow() }),
  );
  await deps.plans.save(rollback, deps.now());
  await deps.audit.record(planProposed(rollback, 'netcheck'));
  await deps.post({ kind: 'plan-offered', runId: plan.runId, plan: rollback, text });
}
