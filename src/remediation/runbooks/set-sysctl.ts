import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** Set one sysctl and persist it, saving its old value first. */
export const setSysctl: Runbook<'set-sysctl'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `set ${r.key} = ${r.value} and persist it`,
      remedyCommands.setSysctl(r.key, r.value, backup),
      remedyCommands.sysctlIs(r.key, r.value),
      false,
    ),
  ],
  rollback: (r, { backupDir, destructive }) => [
    shellStep(
      r.node,
      `restore ${r.key} to its saved value`,
      remedyCommands.restoreSysctl(r.key, backupDir),
      remedyCommands.sysctlIsSaved(r.key, backupDir),
      destructive,
    ),
  ],
};
