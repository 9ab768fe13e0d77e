import { digest } from '../audit/audit-chain.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { ExecutorDeps, Say } from './executor-deps.js';
import type { FenceLoss } from './plan-repository.js';
import type { PlanStep } from './plan-step.js';
import type { RunFence } from './run-fence.js';
import { STEP_HANDLERS, type StepOutcome } from './step-handlers.js';
import { stepText } from './step-text.js';

/** How a step went: it did its work, it failed, or it never started because the run is no longer ours. */
export type StepRun = 'done' | 'failed' | FenceLoss;

/**
 * Runs one step through its kind's handler. First the fencing check (the run is still this
 * executor's, with its node lock: only then is the step checkpointed as started), then an audit
 * entry (no audit, no step), the step, its outcome checkpoint and a second audit entry.
 */
export async function runStep(
  deps: ExecutorDeps,
  fence: RunFence,
  runId: string,
  step: PlanStep,
  say: Say,
): Promise<StepRun> {
  const target = deps.target(step.node);
  if (!target) {
    await fence.markStep(step.n, 'failed');
    await say(`step-${step.n}`, `:x: Step ${step.n}: ${step.node} is not in the worker's inventory.`);
    return 'failed';
  }
  // The checkpoint is written before the step runs: a step marked "started" is never run again.
  const claim = await fence.claimStep(step.n);
  if (claim.code === 'lost') return claim;
  const stepEvent = { actor: 'netcheck', runId, planId: fence.planId, node: step.node };
  const { command } = stepText(step);
  try {
    await deps.audit.record({
      ...stepEvent,
      type: 'step.started',
      summary: `step ${step.n}: ${step.title}`,
      data: { n: step.n, command, destructive: step.destructive, token: fence.token },
    });
  } catch (error) {
    await fence.markStep(step.n, 'failed');
    await say(
      `step-${step.n}`,
      `:x: Step ${step.n}/${step.node} was not started: the audit log could not be written (${(error as Error).message}). No step runs unaudited.`,
    );
    return 'failed';
  }
  const startedAt = deps.isoNow();
  const outcome = await handle(deps, step, target);
  await fence.markStep(step.n, outcome.ok ? 'done' : 'failed');
  await deps.audit.record({
    ...stepEvent,
    type: 'step.finished',
    summary: `step ${step.n} ${outcome.ok ? 'done' : 'failed'}: ${outcome.detail}`,
    data: {
      n: step.n,
      command,
      startedAt,
      endedAt: deps.isoNow(),
      exitCode: outcome.exitCode,
      ok: outcome.ok,
      outputDigest: digest(outcome.output),
    },
  });
  await say(
    `step-${step.n}`,
    `${outcome.ok ? ':white_check_mark:' : ':x:'} Step ${step.n}/${step.node}: ${step.title} — ${outcome.detail}`,
  );
  return outcome.ok ? 'done' : 'failed';
}

// TypeScript cannot correlate STEP_HANDLERS[step.kind] with `step`; the record's type pairs each
// kind with the handler for exactly that kind.
function handle<S extends PlanStep>(deps: ExecutorDeps, step: S, target: SshTarget): Promise<StepOutcome> {
  const handler = STEP_HANDLERS[step.kind] as (d: ExecutorDeps, s: S, t: SshTarget) => Promise<StepOutcome>;
  return handler(deps, step, target);
}
