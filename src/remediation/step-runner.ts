import { digest } from '../audit/audit-chain.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { ExecutorDeps, Say } from './executor-deps.js';
import type { PlanStep } from './plan-step.js';
import { STEP_HANDLERS, type StepOutcome } from './step-handlers.js';
import { stepText } from './step-text.js';

/**
 * Runs one step through its kind's handler, between an audit entry before (no audit, no step) and
 * one after, and checkpoints it; true when it did its work.
 */
export async function runStep(
  deps: ExecutorDeps,
  runId: string,
  planId: string,
  step: PlanStep,
  say: Say,
): Promise<boolean> {
  const target = deps.target(step.node);
  if (!target) {
    await say(`step-${step.n}`, `:x: Step ${step.n}: ${step.node} is not in the worker's inventory.`);
    await deps.plans.markStep(planId, step.n, 'failed');
    return false;
  }
  const stepEvent = { actor: 'netcheck', runId, planId, node: step.node };
  const { command } = stepText(step);
  try {
    await deps.audit.record({
      ...stepEvent,
      type: 'step.started',
      summary: `step ${step.n}: ${step.title}`,
      data: { n: step.n, command, destructive: step.destructive },
    });
  } catch (error) {
    await deps.plans.markStep(planId, step.n, 'failed');
    await say(
      `step-${step.n}`,
      `:x: Step ${step.n}/${step.node} was not started: the audit log could not be written (${(error as Error).message}). No step runs unaudited.`,
    );
    return false;
  }
  const startedAt = deps.isoNow();
  // The checkpoint is written before the step runs: a step marked "started" is never run again.
  await deps.plans.markStep(planId, step.n, 'started');
  const outcome = await handle(deps, step, target);
  await deps.plans.markStep(planId, step.n, outcome.ok ? 'done' : 'failed');
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
  return outcome.ok;
}

// TypeScript cannot correlate STEP_HANDLERS[step.kind] with `step`; the record's type pairs each
// kind with the handler for exactly that kind.
function handle<S extends PlanStep>(deps: ExecutorDeps, step: S, target: SshTarget): Promise<StepOutcome> {
  const handler = STEP_HANDLERS[step.kind] as (d: ExecutorDeps, s: S, t: SshTarget) => Promise<StepOutcome>;
  return handler(deps, step, target);
}
