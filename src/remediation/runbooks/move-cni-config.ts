import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** Move a foreign CNI config that sorts before Flannel's into the backup folder. */
export const moveCniConfig: Runbook<'move-cni-config'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `move the foreign CNI config ${r.file} to the backup folder`,
      remedyCommands.moveCniConfig(r.file, backup),
      remedyCommands.cniConfigAbsent(r.file),
      false,
    ),
  ],
  rollback: (r, { backupDir, destructive }) => [
    shellStep(
      r.node,
      `move ${r.file} back into /etc/cni/net.d`,
      remedyCommands.restoreCniConfig(r.file, backupDir),
      remedyCommands.cniConfigPresent(r.file),
      destructive,
    ),
  ],
};
