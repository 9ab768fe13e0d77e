import { allOf } from '../../ssh/remote-command.js';
import { shellStep } from '../plan-step.js';
import { remedyCommands, UDEV_OFFLOAD_RULE } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/** tx checksum offload off on the VXLAN device, kept off by a udev rule when Flannel recreates it. */
export const disableTxChecksum: Runbook<'disable-tx-checksum'> = {
  steps: (r, backup) => [
    shellStep(
      r.node,
      `turn off tx-checksum-ip-generic on ${r.device} and persist it in ${UDEV_OFFLOAD_RULE}`,
      remedyCommands.disableTxChecksum(r.device, backup),
      allOf(remedyCommands.txChecksumIs(r.device, 'off'), remedyCommands.txChecksumPersisted()),
      false,
    ),
  ],
  rollback: (r, { destructive }) => [
    shellStep(
      r.node,
      `turn tx-checksum-ip-generic back on on ${r.device} and remove ${UDEV_OFFLOAD_RULE}`,
      remedyCommands.enableTxChecksum(r.device),
      remedyCommands.txChecksumIs(r.device, 'on'),
      destructive,
    ),
  ],
};
