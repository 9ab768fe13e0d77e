import type { ExecutorDeps, Say } from './executor-deps.js';
import type { Plan } from './plan.js';
import type { FenceLoss } from './plan-repository.js';
import { describeLoss, type RunFence } from './run-fence.js';
import { type RanStep, ranAndNotRun } from './run-record.js';

/** Why a run stops before its end without a failed step. */
export type StopReason =
  /** The worker is shutting down: the running step finished, nothing more starts. */
  | { readonly kind: 'shutdown' }
  /** Re-probed before the first destructive step, the plan's root cause no longer held. */
  | {
      readonly kind: 'cause-changed';
      readonly runNode: string;
      readonly found: string;
      readonly causes: readonly string[];
    }
  /** The executor no longer owns the run (declared dead while it was only slow, or lost its node lock). */
  | { readonly kind: 'lost'; readonly loss: FenceLoss };

/**
 * Ends a run that stops at a step boundary (`before`: the step that did not start; undefined when
 * every step had run) and says so in the thread and the audit log: which steps ran, which did not.
 * Stopped on purpose, the run ends `stopped`; when the run was lost, nothing is written over the
 * state it is in now (a run marked interrupted stays interrupted). Nothing is re-run and no
 * rollback is offered: every step that ran finished, and a person decides what comes next.
 */
export async function stopRun(
  deps: Pick<ExecutorDeps, 'audit' | 'post'>,
  fence: RunFence,
  plan: Plan,
  ran: readonly RanStep[],
  before: number | undefined,
  reason: StopReason,
  say: Say,
): Promise<void> {
  let why = reason;
  if (why.kind !== 'lost') {
    const ended = await fence.finish('stopped');
    if (ended.code === 'lost') why = { kind: 'lost', loss: ended };
  } else if (why.loss.reason === 'lock') {
    // Still running but no longer holding the node: the run cannot go on, so it ends interrupted (if
    // the state is still ours to write); the lock is not touched, it is someone else's or gone.
    await fence.finish('interrupted');
  } else {
    fence.stopRenewing();
  }
  const record = ranAndNotRun(plan, ran);
  const where = before === undefined ? 'after its last step' : `before step ${before}`;
  const tail = `Nothing will be re-run automatically. The backup is in ${plan.backupDir} on ${plan.node}; run /netcheck ${plan.node} to see where it stands.`;
  const text =
    why.kind === 'shutdown'
      ? `:pause_button: Plan \`${plan.planId}\` stopped ${where}: this worker is shutting down, and it let the running step finish first. ${record.text} ${tail}`
      : why.kind === 'cause-changed'
        ? `:octagonal_sign: Plan \`${plan.planId}\` stopped ${where}, the first destructive one: ${why.runNode} was probed again and \`${plan.causeId}\` no longer holds (it now reports ${why.found}). Nothing destructive ran. ${record.text} Run /netcheck ${why.runNode} for a fresh diagnosis and plan.`
        : `:warning: Plan \`${plan.planId}\` stopped ${where}: this worker no longer owns the run (${describeLoss(why.loss)}). ${record.text} Its state was left as it is${why.loss.reason === 'state' && why.loss.state ? ` (${why.loss.state})` : ''}. ${tail}`;
  await deps.audit.record({
    type: why.kind === 'lost' ? 'run.interrupted' : 'run.stopped',
    actor: 'netcheck',
    runId: plan.runId,
    planId: plan.planId,
    node: plan.node,
    summary:
      why.kind === 'shutdown'
        ? `stopped ${where}: the worker is shutting down; ${record.text}`
        : why.kind === 'cause-changed'
          ? `stopped ${where}: re-probed ${why.runNode}, \`${plan.causeId}\` no longer holds (causes now: ${why.causes.join(', ') || 'none'}); ${record.text}`
          : `the executor lost the run ${where} (${describeLoss(why.loss)}) and stopped; ${record.text}`,
    data: {
      reason: why.kind === 'lost' ? `lost:${why.loss.reason}` : why.kind,
      ran: record.ran,
      notRun: record.notRun,
      token: fence.token,
      ...(why.kind === 'cause-changed' ? { causes: why.causes } : {}),
    },
  });
  await say(`stopped-${why.kind}`, text);
}
