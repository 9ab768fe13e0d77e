import { digest } from '../audit/audit-chain.js';
import type { Auditor } from '../audit/audit-event.js';
import { redactSecrets } from '../audit/redact.js';
import { planProposed } from '../audit/run-events.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { DrainOutcome } from '../kube/kube-node-writer.js';
import type { OutboxMessage } from '../queue/job-types.js';
import { argv, type RemoteCommand } from '../ssh/remote-command.js';
import type { PlanStore } from '../store/plan-store.js';
import type { PlanStep } from './plan.js';
import { remedyCommands } from './remedy-commands.js';
import { rollbackPlanFor } from './runbooks.js';

export interface ExecTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ExecutorDeps {
  readonly plans: PlanStore;
  readonly target: (node: string) => ExecTarget | undefined;
  readonly exec: (
    target: ExecTarget,
    command: RemoteCommand,
    opts: { timeoutMs: number },
  ) => Promise<{ exitCode: number | null; stdout: string; stderr: string; timedOut: boolean }>;
  readonly post: (message: OutboxMessage) => Promise<void>;
  /** Every step is audited before it starts and after it ends; no audit, no step (house rule 6). */
  readonly audit: Auditor;
  /** Re-probes the node the run was about, after the last step. */
  readonly diagnose: (node: string) => Promise<DiagnosisReport>;
  readonly runNode: (runId: string) => Promise<string | undefined>;
  readonly newPlanId: () => string;
  /** Drains and deletes a node through the Kubernetes API; undefined when no kubeconfig is configured. */
  readonly drain?: ((node: string) => Promise<DrainOutcome>) | undefined;
  readonly now: () => number;
  readonly isoNow: () => string;
}

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

  if (!(await deps.plans.lockNode(plan.node, planId, LOCK_TTL_MS))) {
    await say(
      'locked',
      `:no_entry: Not started: another plan is running on ${plan.node}. Try again when it has finished.`,
    );
    return;
  }
  try {
    const gate = await deps.plans.beginRun(planId, hash);
    if (gate !== 'ok') {
      await say(
        'refused',
        `:no_entry: The executor refused plan \`${planId}\`: it has no valid approval (${gate}). Nothing was run.`,
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
      const ok = await runStep(deps, plan.runId, planId, step, say);
      if (!ok) {
        await deps.plans.finish(planId, 'failed');
        await say(
          'stopped',
          `:octagonal_sign: Stopped after step ${step.n} failed; later steps did not run. The backup is in ${plan.backupDir} on ${step.node}.`,
        );
        if (!plan.rollbackOf) {
          // Something changed before the failure: offer to put it back, under the same approval rules.
          const rollback = rollbackPlanFor(plan, { planId: deps.newPlanId(), createdAt: deps.isoNow() });
          await deps.plans.save(rollback, deps.now());
          await deps.audit.record(planProposed(rollback, 'netcheck'));
          await deps.post({
            kind: 'plan-offered',
            runId: plan.runId,
            plan: rollback,
            text: `:leftwards_arrow_with_hook: Step ${step.n} of \`${planId}\` failed. This rollback restores what the plan changed from ${plan.backupDir}:`,
          });
        }
        return;
      }
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

/**
 * Marks runs whose executor died as interrupted, says so in their thread with the last completed
 * step, and frees the node. Nothing is re-run automatically.
 */
export async function reportInterruptedRuns(
  deps: Pick<ExecutorDeps, 'plans' | 'post' | 'audit' | 'newPlanId' | 'now' | 'isoNow'>,
): Promise<string[]> {
  const claimed = await deps.plans.claimInterrupted();
  for (const planId of claimed) {
    const stored = await deps.plans.get(planId);
    if (!stored) continue;
    const done = stored.plan.steps.filter((s) => stored.steps[s.n] === 'done').map((s) => s.n);
    const started = stored.plan.steps.filter((s) => stored.steps[s.n] === 'started').map((s) => s.n);
    await deps.plans.unlockNode(stored.plan.node, planId);
    await deps.audit.record({
      type: 'run.interrupted',
      actor: 'netcheck',
      runId: stored.plan.runId,
      planId,
      node: stored.plan.node,
      summary: `the worker running the plan stopped; steps done: ${done.join(', ') || 'none'}; started, maybe half done: ${started.join(', ') || 'none'}; nothing re-run`,
      data: { done, started },
    });
    await deps.post({
      kind: 'progress',
      runId: stored.plan.runId,
      seq: `${planId}-interrupted`,
      text: `:warning: Plan \`${planId}\` was interrupted: the worker running it stopped. Last completed step: ${done.length > 0 ? Math.max(...done) : 'none'}${started.length > 0 ? `; step ${started.join(', ')} had started and may be half done` : ''}. Nothing will be re-run automatically. The backup is in ${stored.plan.backupDir} on ${stored.plan.node}; run /netcheck ${stored.plan.node} to see where it stands.`,
    });
    if (!stored.plan.rollbackOf && (done.length > 0 || started.length > 0)) {
      const rollback = rollbackPlanFor(stored.plan, { planId: deps.newPlanId(), createdAt: deps.isoNow() });
      await deps.plans.save(rollback, deps.now());
      await deps.audit.record(planProposed(rollback, 'netcheck'));
      await deps.post({
        kind: 'plan-offered',
        runId: stored.plan.runId,
        plan: rollback,
        text: `:leftwards_arrow_with_hook: To undo what \`${planId}\` changed before it was interrupted, this rollback restores from ${stored.plan.backupDir}:`,
      });
    }
  }
  return claimed;
}

async function runStep(
  deps: ExecutorDeps,
  runId: string,
  planId: string,
  step: PlanStep,
  say: (seq: string, text: string) => Promise<void>,
): Promise<boolean> {
  const target = deps.target(step.node);
  if (!target) {
    await say(`step-${step.n}`, `:x: Step ${step.n}: ${step.node} is not in the worker's inventory.`);
    await deps.plans.markStep(planId, step.n, 'failed');
    return false;
  }
  const stepEvent = { actor: 'netcheck', runId, planId, node: step.node };
  try {
    await deps.audit.record({
      ...stepEvent,
      type: 'step.started',
      summary: `step ${step.n}: ${step.title}`,
      data: { n: step.n, command: step.command, destructive: step.destructive },
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
  const finished = (exitCode: number | null, output: string, ok: boolean, detail: string) =>
    deps.audit.record({
      ...stepEvent,
      type: 'step.finished',
      summary: `step ${step.n} ${ok ? 'done' : 'failed'}: ${detail}`,
      data: {
        n: step.n,
        command: step.command,
        startedAt,
        endedAt: deps.isoNow(),
        exitCode,
        ok,
        outputDigest: digest(output),
      },
    });
  // The checkpoint is written before the command runs: a step marked "started" is never run again.
  await deps.plans.markStep(planId, step.n, 'started');
  if (step.kind === 'drain') {
    const outcome: DrainOutcome = deps.drain
      ? await deps.drain(step.node)
      : { status: 'unreachable', error: 'no kubeconfig is configured (KUBECONFIG)' };
    const ok = outcome.status !== 'failed';
    await deps.plans.markStep(planId, step.n, ok ? 'done' : 'failed');
    const detail =
      outcome.status === 'done'
        ? `done: evicted ${outcome.evicted.length} pod(s)${outcome.evicted.length > 0 ? ` (${outcome.evicted.join(', ')})` : ''}, left ${outcome.skipped.length} DaemonSet/mirror pod(s), node object deleted`
        : outcome.status === 'unreachable'
          ? `skipped: the API server did not answer (${outcome.error}); the node is reset over SSH, delete its node object once the API is back`
          : `failed: ${outcome.error}`;
    await finished(ok ? 0 : 1, JSON.stringify(outcome), ok, detail);
    await say(
      `step-${step.n}`,
      `${ok ? ':white_check_mark:' : ':x:'} Step ${step.n}/${step.node}: ${step.title} — ${detail}`,
    );
    return ok;
  }
  let command: RemoteCommand;
  if (step.kind === 'join') {
    const joined = await freshJoinCommand(deps, step);
    if ('error' in joined) {
      await deps.plans.markStep(planId, step.n, 'failed');
      await finished(null, '', false, joined.error);
      await say(`step-${step.n}`, `:x: Step ${step.n}/${step.node}: ${step.title} — ${joined.error}`);
      return false;
    }
    command = joined.command;
  } else {
    // The command texts were made by remedy-commands.ts when the plan was built; the approved hash covers them.
    command = { text: step.command } as RemoteCommand;
  }
  const run = await deps.exec(target, command, { timeoutMs: step.timeoutMs });
  const check =
    run.exitCode === 0
      ? await deps.exec(target, { text: step.check } as RemoteCommand, { timeoutMs: step.timeoutMs })
      : undefined;
  const ok = run.exitCode === 0 && check?.exitCode === 0;
  await deps.plans.markStep(planId, step.n, ok ? 'done' : 'failed');
  const detail = ok
    ? 'done, checked'
    : run.exitCode !== 0
      ? `failed (exit ${run.exitCode}${run.timedOut ? ', timed out' : ''}: ${run.stderr.trim().split('\n')[0] ?? ''})`
      : 'ran, but its check failed';
  const shown = redactSecrets(detail);
  await finished(run.exitCode, `${run.stdout}\n${run.stderr}`, ok, shown);
  await say(
    `step-${step.n}`,
    `${ok ? ':white_check_mark:' : ':x:'} Step ${step.n}/${step.node}: ${step.title} — ${shown}`,
  );
  return ok;
}

const JOIN =
  /^kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\s*$/;

/** Asks the control plane for a fresh join command and turns it into argv; the text is a secret. */
async function freshJoinCommand(
  deps: ExecutorDeps,
  step: PlanStep,
): Promise<{ command: RemoteCommand } | { error: string }> {
  const cp = step.joinFrom ? deps.target(step.joinFrom) : undefined;
  if (!cp)
    return { error: `the control plane ${step.joinFrom ?? '(none)'} is not in the worker's inventory` };
  const out = await deps.exec(cp, remedyCommands.printJoinCommand(), { timeoutMs: 30_000 });
  const m = JOIN.exec(out.stdout.trim().split('\n').pop() ?? '');
  if (out.exitCode !== 0 || !m)
    return {
      error: `could not get a join command from ${cp.name} (exit ${out.exitCode}); nothing was joined`,
    };
  return {
    command: argv(['kubeadm', 'join', m[1]!, '--token', m[2]!, '--discovery-token-ca-cert-hash', m[3]!]),
  };
}
