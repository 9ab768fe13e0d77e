import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import { type BackupPolicy, backupDirFor, DEFAULT_BACKUP_POLICY } from './backup-policy.js';
import type { Plan } from './plan.js';
import { type HashedPlan, planHash } from './plan-hash.js';
import type { PlanStep, StepDraft } from './plan-step.js';
import type { RemedyKind, RemedyOf, RollbackContext, Runbook, RunbookRegistry } from './runbook.js';
import { deleteFirewallRules } from './runbooks/delete-firewall-rules.js';
import { deleteIptablesRules } from './runbooks/delete-iptables-rules.js';
import { disableTxChecksum } from './runbooks/disable-tx-checksum.js';
import { moveCniConfig } from './runbooks/move-cni-config.js';
import { networkManagerUnmanage } from './runbooks/network-manager-unmanage.js';
import { raiseConntrackMax } from './runbooks/raise-conntrack-max.js';
import { reinitControlPlane } from './runbooks/reinit-control-plane.js';
import { removeLinkAddresses } from './runbooks/remove-link-addresses.js';
import { resetWorker } from './runbooks/reset-worker.js';
import { restartFlannelPeers } from './runbooks/restart-flannel-peers.js';
import { setSysctl } from './runbooks/set-sysctl.js';

/** Every remedy kind's runbook, by kind. */
export const RUNBOOKS: RunbookRegistry = {
  'delete-iptables-rules': deleteIptablesRules,
  'delete-firewall-rules': deleteFirewallRules,
  'set-sysctl': setSysctl,
  'move-cni-config': moveCniConfig,
  'reset-worker': resetWorker,
  'reinit-control-plane': reinitControlPlane,
  'remove-link-addresses': removeLinkAddresses,
  'network-manager-unmanage': networkManagerUnmanage,
  'disable-tx-checksum': disableTxChecksum,
  'raise-conntrack-max': raiseConntrackMax,
  'restart-flannel-peers': restartFlannelPeers,
};

// TypeScript cannot correlate `RUNBOOKS[remedy.kind]` with `remedy` on its own; the registry's
// type guarantees each entry takes the remedy of its own key.
const runbookFor = <K extends RemedyKind>(remedy: RemedyOf<K>): Runbook<K> =>
  RUNBOOKS[remedy.kind as K] as Runbook<K>;

const numbered = (drafts: readonly StepDraft[]): PlanStep[] =>
  drafts.map((s, i) => ({ ...s, n: i + 1 }) as PlanStep);

/** How long an offered plan may be approved (DESIGN.md: approval expires, default 15 min). */
export const APPROVAL_WINDOW_MS = 15 * 60 * 1000;

const expiryAfter = (createdAt: string): string =>
  new Date(Date.parse(createdAt) + APPROVAL_WINDOW_MS).toISOString();

/**
 * A plan for the first root cause that has a known narrow fix, or undefined. Pure. The plan is not
 * signed yet: the worker that built it signs it (plan-signer.ts) before it is stored.
 */
export function planFor(
  report: DiagnosisReport,
  ids: { planId: string; runId: string; requestedBy: string; createdAt: string },
  backupPolicy: BackupPolicy = DEFAULT_BACKUP_POLICY,
): Plan | undefined {
  const cause = report.rootCauses.find((c) => c.remedy);
  if (!cause?.remedy) return undefined;
  const backupDir = backupDirFor(ids.createdAt, ids.planId);
  const steps = numbered(runbookFor(cause.remedy).steps(cause.remedy, { ...backupPolicy, dir: backupDir }));
  const plan: HashedPlan = {
    planId: ids.planId,
    runId: ids.runId,
    causeId: cause.id,
    node: cause.remedy.node,
    requestedBy: ids.requestedBy,
    steps,
    destructive: steps.some((s) => s.destructive),
    backupDir,
    createdAt: ids.createdAt,
    expiresAt: expiryAfter(ids.createdAt),
    remedy: cause.remedy,
  };
  return { ...plan, hash: planHash(plan) };
}

/**
 * Undo a plan from its backup. Offered after a failed step; approved under the same rules as the
 * plan. Unsigned, like planFor's: the worker offering it signs it.
 */
export function rollbackPlanFor(plan: Plan, ids: { planId: string; createdAt: string }): Plan {
  const from: RollbackContext = {
    planId: plan.planId,
    backupDir: plan.backupDir,
    destructive: plan.destructive,
  };
  const { hash: _hash, signature: _signature, ...rest } = plan;
  const rollback: HashedPlan = {
    ...rest,
    planId: ids.planId,
    causeId: `rollback of ${plan.causeId}`,
    steps: numbered(runbookFor(plan.remedy).rollback(plan.remedy, from)),
    createdAt: ids.createdAt,
    expiresAt: expiryAfter(ids.createdAt),
    rollbackOf: plan.planId,
  };
  return { ...rollback, hash: planHash(rollback) };
}
