import { createHash } from 'node:crypto';
import type { NodeReport, Remedy } from '../diagnosis/node-report.js';
import type { Plan, PlanStep } from './plan.js';
import { remedyCommands } from './remedy-commands.js';

const STEP_TIMEOUT_MS = 10_000;

/** The narrow fix for one remedy: back up what changes, change only that, check it. */
export function stepsFor(remedy: Remedy, backupDir: string): Omit<PlanStep, 'n'>[] {
  switch (remedy.kind) {
    case 'delete-iptables-rules':
      return [
        {
          node: remedy.node,
          title: `back up the iptables rules of ${remedy.node}`,
          command: remedyCommands.backupIptables(backupDir).text,
          check: remedyCommands.fileNotEmpty(`${backupDir}/iptables.rules`).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
        ...remedy.rules.map((r) => ({
          node: remedy.node,
          title: `delete the offending rule ${r.line}`,
          command: remedyCommands.deleteRule(r.table, r.line).text,
          check: remedyCommands.ruleAbsent(r.table, r.line).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        })),
      ];
    case 'set-sysctl':
      return [
        {
          node: remedy.node,
          title: `set ${remedy.key} = ${remedy.value} and persist it`,
          command: remedyCommands.setSysctl(remedy.key, remedy.value, backupDir).text,
          check: remedyCommands.sysctlIs(remedy.key, remedy.value).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
      ];
    case 'move-cni-config':
      return [
        {
          node: remedy.node,
          title: `move the foreign CNI config ${remedy.file} to the backup folder`,
          command: remedyCommands.moveCniConfig(remedy.file, backupDir).text,
          check: remedyCommands.cniConfigAbsent(remedy.file).text,
          destructive: false,
          timeoutMs: STEP_TIMEOUT_MS,
        },
      ];
  }
}

/** A plan for the first root cause that has a known narrow fix, or undefined. Pure. */
export function planFor(
  report: NodeReport,
  ids: { planId: string; runId: string; requestedBy: string; createdAt: string },
): Plan | undefined {
  const cause = report.rootCauses.find((c) => c.remedy);
  if (!cause?.remedy) return undefined;
  const stamp = ids.createdAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const backupDir = `/var/backups/netcheck/${stamp}-${ids.planId}`;
  const steps = stepsFor(cause.remedy, backupDir).map((s, i) => ({ ...s, n: i + 1 }));
  const hash = hashSteps(steps);
  return {
    planId: ids.planId,
    runId: ids.runId,
    causeId: cause.id,
    node: cause.remedy.node,
    requestedBy: ids.requestedBy,
    steps,
    destructive: steps.some((s) => s.destructive),
    backupDir,
    hash,
    createdAt: ids.createdAt,
    remedy: cause.remedy,
  };
}

function hashSteps(steps: readonly PlanStep[]): string {
  return createHash('sha256')
    .update(JSON.stringify(steps.map((s) => [s.node, s.command, s.check, s.destructive])))
    .digest('hex');
}

/** Undo a plan from its backup. Offered after a failed step; approved under the same rules as the plan. */
export function rollbackPlanFor(plan: Plan, ids: { planId: string; createdAt: string }): Plan {
  const r = plan.remedy;
  const dir = plan.backupDir;
  const step = (title: string, command: string, check: string): Omit<PlanStep, 'n'> => ({
    node: r.node,
    title,
    command,
    check,
    destructive: plan.destructive,
    timeoutMs: STEP_TIMEOUT_MS,
  });
  const raw: Omit<PlanStep, 'n'>[] =
    r.kind === 'delete-iptables-rules'
      ? [
          step(
            `restore the iptables rules saved before plan ${plan.planId}`,
            remedyCommands.restoreIptables(dir).text,
            // The deleted rule is back: the restore took.
            r.rules[0]
              ? remedyCommands.rulePresent(r.rules[0].table, r.rules[0].line).text
              : remedyCommands.fileNotEmpty(`${dir}/iptables.rules`).text,
          ),
        ]
      : r.kind === 'set-sysctl'
        ? [
            step(
              `restore ${r.key} to its saved value`,
              remedyCommands.restoreSysctl(r.key, dir).text,
              remedyCommands.sysctlIsSaved(r.key, dir).text,
            ),
          ]
        : [
            step(
              `move ${r.file} back into /etc/cni/net.d`,
              remedyCommands.restoreCniConfig(r.file, dir).text,
              remedyCommands.cniConfigPresent(r.file).text,
            ),
          ];
  const steps = raw.map((s, i) => ({ ...s, n: i + 1 }));
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
