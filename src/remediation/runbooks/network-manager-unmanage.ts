import { shellStep } from '../plan-step.js';
import { NM_DROPIN, NM_UNMANAGED, remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/**
 * A NetworkManager drop-in that leaves cni0 and flannel* to the CNI, and a reload; then cni0 gets
 * back the gateway address of the node's Flannel subnet if NetworkManager had removed it.
 */
export const networkManagerUnmanage: Runbook<'network-manager-unmanage'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `write ${NM_DROPIN} (unmanaged-devices=${NM_UNMANAGED}) and reload NetworkManager`,
      remedyCommands.unmanageOverlayDevices(backup),
      remedyCommands.overlayDevicesUnmanaged(),
      false,
    ),
    ...(r.cni0Address
      ? [
          shellStep(
            r.node,
            `give cni0 back its address ${r.cni0Address} (FLANNEL_SUBNET), which NetworkManager removed`,
            remedyCommands.addLinkAddress('cni0', r.cni0Address),
            remedyCommands.linkHasAddress('cni0', r.cni0Address),
            false,
          ),
        ]
      : []),
  ],
  // cni0's address is left: it is the one the node's Flannel subnet wants, whoever manages the device.
  rollback: (r, { backupDir, destructive }) => [
    shellStep(
      r.node,
      `put back the NetworkManager config as it was and reload it`,
      remedyCommands.restoreNetworkManagerConfig(backupDir),
      remedyCommands.networkManagerConfigRestored(backupDir),
      destructive,
    ),
  ],
};
