import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { Plan } from './plan.js';
import { hashSteps } from './plan-hash.js';
import type { PlanStep, StepDraft } from './plan-step.js';
import type { RemedyKind, RemedyOf, RollbackContext, Runbook, RunbookRegistry } from './runbook.js';
import { deleteIptablesRules } from './runbooks/delete-iptables-rules.js';
import { moveCniConfig } from './runbooks/move-cni-config.js';
import { reinitControlPlane } from './runbooks/reinit-control-plane.js';
import { resetWorker } from './runbooks/reset-worker.js';
import { setSysctl } from './runbooks/set-sysctl.js';

/** Every remedy kind's runbook, by kind. */
export const RUNBOOKS: RunbookRegistry = {
  'delete-iptables-rules': deleteIptablesRules,
  'set-sysctl': setSysctl,
  'move-cni-config': moveCniConfig,
  'reset-worker': resetWorker,
  'reinit-control-plane': reinitControlPlane,
};

// TypeScript cannot correlate `RUNBOOKS[remedy.kind]` with `remedy` on its own; the registry's
// type guarantees each entry takes the remedy of its own key.
const runbookFor = <K extends RemedyKind>(remedy: RemedyOf<K>): Runbook<K> =>
  RUNBOOKS[remedy.kind as K] as Runbook<K>;

const numbered = (drafts: readonly StepDraft[]): PlanStep[] =>
  drafts.map((s, i) => ({ ...s, n: i + 1 }) as PlanStep);

/** A plan for the first root cause that has a known narrow fix, or undefined. Pure. */
export function planFor(
  report: DiagnosisReport,
  ids: { planId: string; runId: string; requestedBy: string; createdAt: string },
): Plan | undefined {
  const cause = report.rootCauses.find((c) => c.remedy);
  if (!cause?.remedy) return undefined;
  const stamp = ids.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const backupDir = `/var/backups/netcheck/${stamp}-${ids.planId}`;
  const steps = numbered(runbookFor(cause.remedy).steps(cause.remedy, backupDir));
  return {
    planId: ids.planId,
    runId: ids.runId,
    causeId: cause.id,
    node: cause.remedy.node,
    requestedBy: ids.requestedBy,
    steps,
    destructive: steps.some((s) => s.destructive),
    backupDir,
    hash: hashSteps(steps),
    createdAt: ids.createdAt,
    remedy: cause.remedy,
  };
}

/** Undo a plan from its backup. Offered after a failed step; approved under the same rules as the plan. */
export function rollbackPlanFor(plan: Plan, ids: { planId: string; createdAt: string }): Plan {
  const from: RollbackContext = {
    planId: plan.planId,
    backupDir: plan.backupDir,
    destructive: plan.destructive,
  };
  const steps = numbered(runbookFor(plan.remedy).rollback(plan.remedy, from));
  return {
    ...plan,
    planId: ids.planId,
    causeId: `rollback of ${plan.causeId}`,
    steps,
    hash: hashSteps(steps),
    createdAt: ids.createdAt,
    rollbackOf: plan.planId,
  };
}
