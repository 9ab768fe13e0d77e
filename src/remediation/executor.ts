import type { ExecutorDeps, Say } from './executor-deps.js';
import type { Plan } from './plan.js';
import { refusalCode } from './plan-repository.js';
import { offerRollback } from './rollback-offer.js';
import { admitPlan } from './run-admission.js';
import { runStep } from './step-runner.js';

export type { ExecResult, ExecutorDeps } from './executor-deps.js';
// The executor's two entry points stay importable from here, where the wiring has always found them.
export { reportInterruptedRuns } from './interrupted-runs.js';

const LOCK_TTL_MS = 10 * 60 * 1000;
const HEARTBEAT_TTL_MS = 6000;

/**
 * Runs an approved plan. It checks the approval itself (approved, same hash, not yet run) whatever
 * called it, holds the node's lock, checkpoints every step in Redis, stops at the first failed step,
 * and verifies the result by probing again.
 */
export async function executePlan(deps: ExecutorDeps, planId: string, hash: string): Promise<void> {
  const stored = await deps.plans.get(planId);
  if (!stored) throw new Error(`plan ${planId} does not exist`);
  const { plan } = stored;
  const say = (seq: string, text: string) =>
    deps.post({ kind: 'progress', runId: plan.runId, seq: `${planId}-${seq}`, text });
  let heartbeat: NodeJS.Timeout | undefined;

  // Before the lock and before any step: only a plan a worker signed, exactly as the approver saw it.
  if (!(await admitted(deps, plan, hash, say))) return;

  if (!(await deps.plans.lockNode(plan.node, planId, LOCK_TTL_MS))) {
    await say(
      'locked',
      `:no_entry: Not started: another plan is running on ${plan.node}. Try again when it has finished.`,
    );
    return;
  }
  try {
    const gate = await deps.plans.beginRun(planId, hash);
    if (gate.code !== 'running') {
      await say(
        'refused',
        `:no_entry: The executor refused plan \`${planId}\`: it has no valid approval (${refusalCode(gate)}). Nothing was run.`,
      );
      return;
    }
    // Heartbeat while running: if this process dies, another worker sees the run as interrupted.
    await deps.plans.heartbeat(planId, HEARTBEAT_TTL_MS);
    heartbeat = setInterval(
      () => void deps.plans.heartbeat(planId, HEARTBEAT_TTL_MS).catch(() => undefined),
      HEARTBEAT_TTL_MS / 3,
    );
    heartbeat.unref();
    await say(
      'start',
      `:gear: Running plan \`${planId}\` (${plan.steps.length} steps) on ${plan.node}; backup folder ${plan.backupDir}.`,
    );
    for (const step of plan.steps) {
      if (await runStep(deps, plan.runId, planId, step, say)) continue;
      await deps.plans.finish(planId, 'failed');
      await say(
        'stopped',
        `:octagonal_sign: Stopped after step ${step.n} failed; later steps did not run. The backup is in ${plan.backupDir} on ${step.node}.`,
      );
      // Something changed before the failure: offer to put it back, under the same approval rules.
      await offerRollback(
        deps,
        plan,
        `:leftwards_arrow_with_hook: Step ${step.n} of \`${planId}\` failed. This rollback restores what the plan changed from ${plan.backupDir}:`,
      );
      return;
    }
    await deps.plans.finish(planId, 'done');
    const runNode = (await deps.runNode(plan.runId)) ?? plan.node;
    const after = await deps.diagnose(runNode);
    await deps.audit.record({
      type: 'verification',
      actor: 'netcheck',
      runId: plan.runId,
      planId,
      node: runNode,
      summary: `${after.verdict === 'healthy' ? 'fixed' : 'not fixed'}: ${runNode} is ${after.headline} (before: \`${plan.causeId}\`)`,
      data: { verdict: after.verdict, causes: after.rootCauses.map((c) => c.id), before: plan.causeId },
    });
    await say(
      'verified',
      after.verdict === 'healthy'
        ? `:white_check_mark: Fixed and verified: ${runNode} is now ${after.headline}. (Before: \`${plan.causeId}\`.)`
        : `:warning: Not fixed: after the plan, ${runNode} reports ${after.headline}. (Before: \`${plan.causeId}\`.)`,
    );
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    await deps.plans.unlockNode(plan.node, planId);
  }
}

/** Refuses, in the thread and the audit log, a plan that is unsigned, edited or not the one approved. */
async function admitted(deps: ExecutorDeps, plan: Plan, hash: string, say: Say): Promise<boolean> {
  const admission = admitPlan(deps.signer, plan, hash, deps.now());
  if (admission.ok) return true;
  await deps.audit.record({
    type: 'plan.refused',
    actor: 'netcheck',
    runId: plan.runId,
    planId: plan.planId,
    node: plan.node,
    summary: `the executor refused to run the plan: ${admission.why}; nothing was run`,
    data: { reason: admission.code, approvedHash: hash },
  });
  await say(
    'not-admitted',
    `:no_entry: The executor refused plan \`${plan.planId}\`: ${admission.why}. Nothing was run on ${plan.node}. Run /netcheck ${plan.node} again for a fresh plan.`,
  );
  return false;
}
