import { allOf, negate } from '../../ssh/remote-command.js';
import { shellStep } from '../plan-step.js';
import { remedyCommands } from '../remedy-commands.js';
import type { Runbook } from '../runbook.js';

/**
 * Remove the addresses Flannel did not put on a device. Flannel is not restarted here: it exits on
 * "link has incompatible addresses", so kubelet restarts its pod by itself and it then configures
 * the clean link (deleting the pod skips the back-off).
 */
export const removeLinkAddresses: Runbook<'remove-link-addresses'> = {
  steps: (r, backup) => {
    const [first, ...rest] = r.addresses.map((a) => negate(remedyCommands.linkHasAddress(r.device, a)));
    if (!first) throw new Error('remove-link-addresses: no address to remove');
    const keep = r.keep ? [remedyCommands.linkHasAddress(r.device, r.keep)] : [];
    return [
      shellStep(
        r.node,
        `remove ${r.addresses.join(', ')} from ${r.device}${r.keep ? ` (keeping ${r.keep})` : ''}`,
        remedyCommands.removeLinkAddresses(r.device, r.addresses, backup),
        allOf(first, ...rest, ...keep),
        false,
      ),
    ];
  },
  rollback: (r, { destructive }) => {
    const [first, ...rest] = r.addresses.map((a) => remedyCommands.addLinkAddress(r.device, a));
    const [check, ...checks] = r.addresses.map((a) => remedyCommands.linkHasAddress(r.device, a));
    if (!first || !check) throw new Error('remove-link-addresses: no address to restore');
    return [
      shellStep(
        r.node,
        `put ${r.addresses.join(', ')} back on ${r.device}`,
        allOf(first, ...rest),
        allOf(check, ...checks),
        destructive,
      ),
    ];
  },
};
