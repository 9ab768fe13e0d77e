import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** Flannel needs a few seconds after a restart to list the nodes and re-add their entries. */
const RESTART_TIMEOUT_MS = 30_000;

/** Restart the node's Flannel pod and wait until every peer it lacked has its route, FDB and neighbour entry. */
export const restartFlannelPeers: Runbook<'restart-flannel-peers'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      'save the overlay routes, FDB and neighbour entries as they are now',
      remedyCommands.backupOverlayEntries(backup),
      remedyCommands.fileNotEmpty(`${backup.dir}/routes.txt`),
      false,
    ),
    shellStep(
      r.node,
      `restart the Flannel pod so it re-adds the entries for ${r.peers.map((p) => p.name).join(', ')}`,
      remedyCommands.restartFlannel(),
      remedyCommands.peerEntriesPresent(r.peers),
      false,
      RESTART_TIMEOUT_MS,
    ),
  ],
  // A restart only adds entries Flannel owns: there is nothing to put back. Restarting once more is
  // the one thing worth offering if the first restart failed half way.
  rollback: (r, { destructive }) => [
    shellStep(
      r.node,
      'restart the Flannel pod once more (a restart changes nothing that needs undoing)',
      remedyCommands.restartFlannel(),
      remedyCommands.peerEntriesPresent(r.peers),
      destructive,
      RESTART_TIMEOUT_MS,
    ),
  ],
};
