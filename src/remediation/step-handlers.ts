import { redactSecrets } from '../audit/redact.js';
import type { DrainOutcome } from '../kube/kube-node-writer.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import { approvedCommand } from './approved-command.js';
import type { ExecutorDeps } from './executor-deps.js';
import { runJoinStep } from './join-step.js';
import type { PlanStep, StepKind } from './plan-step.js';
import type { StepOutcome } from './step-outcome.js';

export type { StepOutcome } from './step-outcome.js';

type StepHandler<S extends PlanStep> = (
  deps: ExecutorDeps,
  step: S,
  target: SshTarget,
) => Promise<StepOutcome>;

/** One handler per step kind: a kind without one fails the typecheck. */
export const STEP_HANDLERS: { readonly [K in StepKind]: StepHandler<Extract<PlanStep, { kind: K }>> } = {
  shell: (deps, step, target) =>
    runAndCheck(deps, target, approvedCommand(step.command), approvedCommand(step.check), step.timeoutMs),

  join: (deps, step, target) => runJoinStep(deps, step, target),

  drain: async (deps, step) => {
    const outcome: DrainOutcome = deps.drain
      ? await deps.drain(step.node)
      : { status: 'unreachable', error: 'no kubeconfig is configured (KUBECONFIG)' };
    const ok = outcome.status !== 'failed';
    const detail =
      outcome.status === 'done'
        ? `done: evicted ${outcome.evicted.length} pod(s)${outcome.evicted.length > 0 ? ` (${outcome.evicted.join(', ')})` : ''}, left ${outcome.skipped.length} DaemonSet/mirror pod(s), node object deleted`
        : outcome.status === 'unreachable'
          ? `skipped: the API server did not answer (${outcome.error}); the node is reset over SSH, delete its node object once the API is back`
          : `failed: ${outcome.error}`;
    return { ok, exitCode: ok ? 0 : 1, output: JSON.stringify(outcome), detail };
  },
};

/** Runs a command, then (when it exited 0) its check; the step did its work when both exit 0. */
async function runAndCheck(
  deps: ExecutorDeps,
  target: SshTarget,
  command: RemoteCommand,
  check: RemoteCommand,
  timeoutMs: number,
): Promise<StepOutcome> {
  const run = await deps.exec(target, command, { timeoutMs });
  const checked = run.exitCode === 0 ? await deps.exec(target, check, { timeoutMs }) : undefined;
  const ok = run.exitCode === 0 && checked?.exitCode === 0;
  const detail = ok
    ? 'done, checked'
    : run.exitCode !== 0
      ? `failed (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}: ${run.stderr.trim().split('\n')[0] ?? ''})`
      : 'ran, but its check failed';
  // Whatever a command prints to stderr is redacted before it reaches Slack or the audit log.
  return {
    ok,
    exitCode: run.exitCode,
    output: `${run.stdout}\n${run.stderr}`,
    detail: redactSecrets(detail),
  };
}
