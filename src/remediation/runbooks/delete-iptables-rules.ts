import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** Delete exactly the offending iptables rules, after saving every rule. */
export const deleteIptablesRules: Runbook<'delete-iptables-rules'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `back up the iptables rules of ${r.node}`,
      remedyCommands.backupIptables(backup),
      remedyCommands.fileNotEmpty(`${backup.dir}/iptables.rules`),
      false,
    ),
    ...r.rules.map((rule) =>
      shellStep(
        r.node,
        `delete the offending rule ${rule.line}`,
        remedyCommands.deleteRule(rule.table, rule.line),
        remedyCommands.ruleAbsent(rule.table, rule.line),
        false,
      ),
    ),
  ],
  rollback: (r, { planId, backupDir, destructive }) => [
    shellStep(
      r.node,
      `restore the iptables rules saved before plan ${planId}`,
      remedyCommands.restoreIptables(backupDir),
      // The deleted rule is back: the restore took.
      r.rules[0]
        ? remedyCommands.rulePresent(r.rules[0].table, r.rules[0].line)
        : remedyCommands.fileNotEmpty(`${backupDir}/iptables.rules`),
      destructive,
    ),
  ],
};
