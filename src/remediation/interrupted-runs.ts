import type { ExecutorDeps } from './executor-deps.js';
import { offerRollback } from './rollback-offer.js';

/**
 * Marks runs whose executor showed no heartbeat lately as interrupted and frees their node (both in
 * one atomic claim), and says so in their thread with the last completed step. Nothing is re-run
 * automatically. If the executor was only slow (a GC pause, a Redis blip), its next fencing check
 * fails: it stops before its next step and reports what it did.
 */
export async function reportInterruptedRuns(
  deps: Pick<ExecutorDeps, 'plans' | 'post' | 'audit' | 'newPlanId' | 'now' | 'isoNow' | 'signer'>,
): Promise<string[]> {
  const claimed = await deps.plans.claimInterrupted();
  for (const planId of claimed) {
    const stored = await deps.plans.get(planId);
    if (!stored) continue;
    const { plan } = stored;
    const done = plan.steps.filter((s) => stored.steps[s.n] === 'done').map((s) => s.n);
    const started = plan.steps.filter((s) => stored.steps[s.n] === 'started').map((s) => s.n);
    await deps.audit.record({
      type: 'run.interrupted',
      actor: 'netcheck',
      runId: plan.runId,
      planId,
      node: plan.node,
      summary: `the worker running the plan stopped; steps done: ${done.join(', ') || 'none'}; started, maybe half done: ${started.join(', ') || 'none'}; nothing re-run`,
      data: { done, started },
    });
    await deps.post({
      kind: 'progress',
      runId: plan.runId,
      seq: `${planId}-interrupted`,
      text: `:warning: Plan \`${planId}\` was interrupted: the worker running it stopped sending heartbeats (it died, or lost Redis); if it is still alive, it stops before its next step and says so here. Last completed step: ${done.length > 0 ? Math.max(...done) : 'none'}${started.length > 0 ? `; step ${started.join(', ')} had started and may be half done` : ''}. Nothing will be re-run automatically. The backup is in ${plan.backupDir} on ${plan.node}; run /netcheck ${plan.node} to see where it stands.`,
    });
    if (done.length > 0 || started.length > 0)
      await offerRollback(
        deps,
        plan,
        `:leftwards_arrow_with_hook: To undo what \`${planId}\` changed before it was interrupted, this rollback restores from ${plan.backupDir}:`,
      );
  }
  return claimed;
}
