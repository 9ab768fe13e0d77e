import { redactSecrets } from '../audit/redact.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import { approvedCommand } from './approved-command.js';
import type { ExecutorDeps } from './executor-deps.js';
import { freshJoinCommand } from './join-command.js';
import type { JoinStep } from './plan-step.js';
import { JOIN_TOKEN_TTL_MINUTES, remedyCommands } from './remedy-commands.js';
import type { StepOutcome } from './step-outcome.js';

/**
 * A join step: a short-lived token from the control plane, the join on the node with the token on
 * stdin (through a 0600 file removed afterwards), the step's check, then the token deleted on the
 * control plane whether the join worked or not.
 */
export async function runJoinStep(
  deps: Pick<ExecutorDeps, 'target' | 'exec'>,
  step: JoinStep,
  target: SshTarget,
): Promise<StepOutcome> {
  const fresh = await freshJoinCommand(deps, step.joinFrom);
  if ('error' in fresh) return { ok: false, exitCode: null, output: '', detail: fresh.error };
  const { tokenId, config } = fresh.join;
  let outcome: StepOutcome;
  try {
    const run = await deps.exec(target, remedyCommands.joinWithConfigOnStdin(), {
      timeoutMs: step.timeoutMs,
      stdin: config,
    });
    const checked =
      run.exitCode === 0
        ? await deps.exec(target, approvedCommand(step.check), { timeoutMs: step.timeoutMs })
        : undefined;
    const ok = run.exitCode === 0 && checked?.exitCode === 0;
    outcome = {
      ok,
      exitCode: run.exitCode,
      output: `${run.stdout}\n${run.stderr}`,
      detail: ok
        ? 'joined, checked'
        : run.exitCode !== 0
          ? `failed (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}: ${run.stderr.trim().split('\n')[0] ?? ''})`
          : 'joined, but its check failed',
    };
  } catch (error) {
    outcome = { ok: false, exitCode: null, output: '', detail: `failed: ${(error as Error).message}` };
  }
  const deleted = await deleteToken(deps, step.joinFrom, tokenId);
  // stderr can echo the join configuration: its token must not reach Slack or the audit log.
  return { ...outcome, detail: redactSecrets(`${outcome.detail}; ${deleted}`) };
}

/** Deletes the token by its public id; a failure is said, not hidden (the token still expires). */
async function deleteToken(
  deps: Pick<ExecutorDeps, 'target' | 'exec'>,
  joinFrom: string,
  tokenId: string,
): Promise<string> {
  const cp = deps.target(joinFrom);
  const expires = `it expires by itself ${JOIN_TOKEN_TTL_MINUTES} min after it was made`;
  if (!cp) return `join token ${tokenId} NOT deleted (${joinFrom} is not in the inventory); ${expires}`;
  try {
    const out = await deps.exec(cp, remedyCommands.deleteJoinToken(tokenId), { timeoutMs: 30_000 });
    return out.exitCode === 0
      ? `join token ${tokenId} deleted on ${cp.name}`
      : `join token ${tokenId} NOT deleted on ${cp.name} (exit ${out.exitCode}); ${expires}`;
  } catch (error) {
    return `join token ${tokenId} NOT deleted on ${cp.name} (${(error as Error).message}); ${expires}`;
  }
}
