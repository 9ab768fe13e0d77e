import { conntrackRaiseCost } from '../../diagnosis/rules/conntrack-rule.js';
import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** Raise nf_conntrack_max and persist it in /etc/sysctl.d/90-netcheck-conntrack.conf, saving the old value first. */
export const raiseConntrackMax: Runbook<'raise-conntrack-max'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `raise net.netfilter.nf_conntrack_max from ${r.from} to ${r.to} (${conntrackRaiseCost(r.from, r.to)}) and persist it`,
      remedyCommands.raiseConntrackMax(r.to, backup),
      remedyCommands.conntrackMaxIs(r.to),
      false,
    ),
  ],
  rollback: (r, { backupDir, destructive }) => [
    shellStep(
      r.node,
      'restore net.netfilter.nf_conntrack_max to its saved value',
      remedyCommands.restoreConntrackMax(backupDir),
      remedyCommands.conntrackMaxIsSaved(backupDir),
      destructive,
    ),
  ],
};
