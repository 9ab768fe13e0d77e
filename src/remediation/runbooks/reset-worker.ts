import { formatCidr, parseCidr } from '../../diagnosis/cidr.js';
import { type StepDraft, shellStep } from '../plan-step.js';
import { JOIN_TOKEN_TTL_MINUTES, remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';
import { backupNodeStateStep, resetAndCleanSteps, restoreNodeStateSteps } from './node-reset-steps.js';

/**
 * Reset a worker's Kubernetes/CNI state and rejoin it: back up, drain through the API (when it
 * answers), reset safely, give the node network its route back if the overlay hijacked it, rejoin.
 */
export const resetWorker: Runbook<'reset-worker'> = {
  steps: (r, backup) => {
    const steps: StepDraft[] = [
      backupNodeStateStep(r.node, backup),
      {
        kind: 'drain',
        node: r.node,
        title: `drain ${r.node} and delete its node object through the Kubernetes API (skipped, and said so, when the API does not answer)`,
        destructive: true,
        timeoutMs: 60_000,
      },
      ...resetAndCleanSteps(r.node, backup.dir),
    ];
    if (r.uplink) {
      const network = formatCidr(parseCidr(`${r.uplink.address}/${r.uplink.prefixlen}`)!).split('/')[0]!;
      steps.push(
        shellStep(
          r.node,
          `give the node network ${network}/${r.uplink.prefixlen} its route via ${r.uplink.iface} back (the overlay had replaced it)`,
          remedyCommands.restoreConnectedRoute(r.uplink.iface, r.uplink.address, r.uplink.prefixlen, network),
          remedyCommands.routeVia(network, r.uplink.iface),
          false,
        ),
      );
    }
    steps.push({
      kind: 'join',
      node: r.node,
      title: `rejoin the cluster with a join token from ${r.controlPlane} that lives ${JOIN_TOKEN_TTL_MINUTES} minutes and is deleted afterwards (the token is never shown)`,
      joinFrom: r.controlPlane,
      check: remedyCommands.kubeletConfPresent().text,
      destructive: true,
      timeoutMs: 120_000,
    });
    return steps;
  },
  rollback: (r, { backupDir, destructive }) => restoreNodeStateSteps(r.node, backupDir, destructive),
};
