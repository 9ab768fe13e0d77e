import { recheckCause } from './cause-recheck.js';
import type { ExecutorDeps, Say } from './executor-deps.js';
import type { Plan } from './plan.js';
import { type RunLease, refusalCode } from './plan-repository.js';
import { offerRollback } from './rollback-offer.js';
import { admitPlan } from './run-admission.js';
import { RunFence } from './run-fence.js';
import type { RanStep } from './run-record.js';
import { stopRun } from './run-stop.js';
import { DEFAULT_RUN_TIMING, type RunTiming } from './run-timing.js';
import { runStep } from './step-runner.js';

export type { ExecResult, ExecutorDeps } from './executor-deps.js';
// The executor's two entry points stay importable from here, where the wiring has always found them.
export { reportInterruptedRuns } from './interrupted-runs.js';

/**
 * Runs an approved plan. It checks the approval itself (approved, same hash, not yet run, started
 * within the start window) whatever called it; the same atomic step takes the node's lock, writes
 * the first heartbeat and issues the run's fencing token. Before every step it proves it still owns
 * the run and the lock; it probes the node again before the first destructive step; it stops at
 * the first failed step, at shutdown, or when the run is no longer its own, and verifies the result
 * by probing again.
 */
export async function executePlan(deps: ExecutorDeps, planId: string, hash: string): Promise<void> {
  const stored = await deps.plans.get(planId);
  if (!stored) throw new Error(`plan ${planId} does not exist`);
  const { plan } = stored;
  const say = (seq: string, text: string) =>
    deps.post({ kind: 'progress', runId: plan.runId, seq: `${planId}-${seq}`, text });

  // Before the lock and before any step: only a plan a worker signed, exactly as the approver saw it.
  if (!(await admitted(deps, plan, hash, say))) return;

  const timing = deps.timing ?? DEFAULT_RUN_TIMING;
  const lease = (): RunLease => ({ node: plan.node, nowMs: deps.now(), ...timing });
  if (deps.stopping?.aborted) {
    // Picked up as the worker began to stop: leave the approval unused rather than start and stop at once.
    await say(
      'not-started',
      `:pause_button: Not started: the worker that picked up plan \`${planId}\` is shutting down. Nothing ran. Run /netcheck ${plan.node} for a fresh plan.`,
    );
    return;
  }
  const gate = await deps.plans.startRun(planId, hash, lease());
  if (gate.code === 'locked') {
    await say(
      'locked',
      `:no_entry: Not started: another plan is running on ${plan.node}. Try again when it has finished.`,
    );
    return;
  }
  if (gate.code === 'approval-expired') {
    await reportLateApproval(deps, plan, gate.approvedAtMs, timing, say);
    return;
  }
  if (gate.code !== 'running') {
    await say(
      'refused',
      `:no_entry: The executor refused plan \`${planId}\`: it has no valid approval (${refusalCode(gate)}). Nothing was run.`,
    );
    return;
  }
  const fence = new RunFence(deps.plans, planId, gate.token, lease, timing);
  fence.startRenewing();
  try {
    await runPlan(deps, plan, fence, say);
  } finally {
    fence.stopRenewing();
  }
}

/** The run loop: one fencing check per step boundary, each step at most once. */
async function runPlan(deps: ExecutorDeps, plan: Plan, fence: RunFence, say: Say): Promise<void> {
  const { planId } = plan;
  await say(
    'start',
    `:gear: Running plan \`${planId}\` (${plan.steps.length} steps) on ${plan.node}; backup folder ${plan.backupDir}.`,
  );
  const ran: RanStep[] = [];
  // A rollback undoes this run's own changes from its backup: there is no root cause to re-check.
  let rechecked = plan.rollbackOf !== undefined;
  for (const step of plan.steps) {
    if (deps.stopping?.aborted) return stopRun(deps, fence, plan, ran, step.n, { kind: 'shutdown' }, say);
    if (fence.lost) return stopRun(deps, fence, plan, ran, step.n, { kind: 'lost', loss: fence.lost }, say);
    if (step.destructive && !rechecked) {
      rechecked = true;
      const recheck = await recheckCause(deps, plan);
      if (!recheck.holds)
        return stopRun(deps, fence, plan, ran, step.n, { kind: 'cause-changed', ...recheck }, say);
      await deps.audit.record({
        type: 'diagnosis',
        actor: 'netcheck',
        runId: plan.runId,
        planId,
        node: recheck.runNode,
        summary: `re-probed before step ${step.n}, the first destructive one: \`${plan.causeId}\` still holds; going on`,
        data: { causeId: plan.causeId, before: step.n },
      });
      // The probe took a while: the shutdown or a lost run is checked again before the step.
      if (deps.stopping?.aborted) return stopRun(deps, fence, plan, ran, step.n, { kind: 'shutdown' }, say);
    }
    const result = await runStep(deps, fence, plan.runId, step, say);
    if (typeof result === 'object')
      return stopRun(deps, fence, plan, ran, step.n, { kind: 'lost', loss: result }, say);
    ran.push({ n: step.n, ok: result === 'done' });
    if (result === 'done') continue;
    const ended = await fence.finish('failed');
    if (ended.code === 'lost') {
      const next = plan.steps[plan.steps.indexOf(step) + 1]?.n;
      return stopRun(deps, fence, plan, ran, next, { kind: 'lost', loss: ended }, say);
    }
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
  const ended = await fence.finish('done');
  if (ended.code === 'lost')
    // Every step ran, but the run was declared dead meanwhile: `done` is not written over that.
    return stopRun(deps, fence, plan, ran, undefined, { kind: 'lost', loss: ended }, say);
  await verify(deps, plan, say);
}

async function verify(deps: ExecutorDeps, plan: Plan, say: Say): Promise<void> {
  const runNode = (await deps.runNode(plan.runId)) ?? plan.node;
  const after = await deps.diagnose(runNode);
  await deps.audit.record({
    type: 'verification',
    actor: 'netcheck',
    runId: plan.runId,
    planId: plan.planId,
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
}

/** An approval no worker started within the start window: it expired, nothing ran, and the thread and audit log say why. */
async function reportLateApproval(
  deps: ExecutorDeps,
  plan: Plan,
  approvedAtMs: number | undefined,
  timing: RunTiming,
  say: Say,
): Promise<void> {
  const late = approvedAtMs === undefined ? undefined : Math.round((deps.now() - approvedAtMs) / 1000);
  const window = Math.round(timing.startWindowMs / 1000);
  await deps.audit.record({
    type: 'plan.expired',
    actor: 'netcheck',
    runId: plan.runId,
    planId: plan.planId,
    node: plan.node,
    summary: `approval expired before the run started: ${late === undefined ? 'its approval time is unknown' : `picked up ${late} s after the approval`}, the limit is ${window} s; nothing ran`,
    data: { approvedAtMs, startWindowMs: timing.startWindowMs },
  });
  await say(
    'approval-expired',
    `:hourglass: Not started: plan \`${plan.planId}\` was approved ${late === undefined ? 'at an unknown time' : `${late} s ago`}, but a run must start within ${window} s of its approval, so the approval expired. Nothing ran. The diagnosis it was based on may be stale: run /netcheck ${plan.node} for a fresh one.`,
  );
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
