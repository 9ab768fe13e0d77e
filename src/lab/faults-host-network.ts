import { appendFlannelLog, type FaultFamily, ip } from './fault-impl.js';
import { LAB_KERNEL_LOG } from './lab-dmesg.js';
import { tryRun } from './lab-exec.js';
import { NM_STATE_DIR } from './lab-nmcli.js';
import { labExec, nodeRun, writeNodeFile } from './lab-node-exec.js';
import { labNet } from './lab-topology.js';

/** Files remediation may have left, removed when a fault is cleared so the node is as `lab up` made it. */
const NM_DROPIN = '/etc/NetworkManager/conf.d/99-netcheck-unmanaged.conf';
const UDEV_OFFLOAD_RULE = '/etc/udev/rules.d/90-netcheck-flannel-offload.rules';

/** A dhcpcd-style link-local address, unique per node. */
const linkLocal = (index: number) => `169.254.23.${10 + index}/16`;

/** Faults in the node's own network configuration around Flannel: routes, addresses, NetworkManager, offloads. */
export const HOST_NETWORK_FAULTS = {
  'no-default-route': {
    add: async (state, node) => {
      await ip(node, 'route', 'del', 'default');
      await appendFlannelLog(
        state,
        node,
        'E1124 03:10:00.000000       1 main.go:227] Failed to find any valid interface to use: failed to get default interface: Unable to find default route',
      );
    },
    clear: (state, node) =>
      ip(node, 'route', 'replace', 'default', 'via', labNet(state.netIndex).bridgeAddress, 'dev', 'eth0'),
  },
  'flannel1-stale-address': {
    // dhcpcd (or avahi-autoipd) gave flannel.1 a link-local address; Flannel refuses the link.
    add: async (state, node) => {
      await ip(node, 'addr', 'add', linkLocal(node.index), 'dev', 'flannel.1');
      await appendFlannelLog(
        state,
        node,
        'E1124 03:10:00.000000       1 main.go:332] Error registering network: failed to configure interface flannel.1: link has incompatible addresses. Remove additional addresses and try again. &netlink.Vxlan{…}',
      );
    },
    clear: async (_state, node) => {
      await tryRun(['ip', '-n', node.netns, 'addr', 'del', linkLocal(node.index), 'dev', 'flannel.1']);
    },
  },
  'network-manager-interference': {
    // NetworkManager starts with no unmanaged-devices for the CNI's links, manages cni0 and takes its address.
    add: async (state, node) => {
      await nodeRun(state, node.name, ['rm', '-f', NM_DROPIN]);
      await writeNodeFile(state, node.name, `${NM_STATE_DIR}/unmanaged`, '');
      await writeNodeFile(
        state,
        node.name,
        `${NM_STATE_DIR}/running`,
        'netcheck lab: NetworkManager "runs"\n',
      );
      await ip(node, 'addr', 'flush', 'dev', 'cni0');
    },
    clear: async (state, node) => {
      await nodeRun(state, node.name, ['rm', '-rf', NM_STATE_DIR, NM_DROPIN]);
      await ip(node, 'addr', 'replace', `${node.cni0Address}/24`, 'dev', 'cni0');
      await tryRun(['ip', '-n', `${node.netns}-pod`, 'route', 'replace', 'default', 'via', node.cni0Address]);
    },
  },
  'vxlan-checksum-offload': {
    // Offload stays on (the default for a vxlan device); the kernel's bad-checksum lines go to the
    // stand-in dmesg's file, since a namespace cannot write to the machine's kernel log.
    add: async (state, node) => {
      await nodeRun(state, node.name, ['ethtool', '-K', 'flannel.1', 'tx-checksum-ip-generic', 'on']);
      const peers = state.specs.filter((p) => p.name !== node.name).slice(0, 2);
      const lines = peers.map(
        (p, i) =>
          `[ 4242.${String(100000 + i * 1717).padStart(6, '0')}] UDP: bad checksum. From ${p.host}:${41000 + i * 7} to ${node.host}:8472 ulen 110`,
      );
      await writeNodeFile(state, node.name, LAB_KERNEL_LOG, `${lines.join('\n')}\n`);
    },
    clear: async (state, node) => {
      await nodeRun(state, node.name, ['rm', '-f', LAB_KERNEL_LOG, UDEV_OFFLOAD_RULE]);
      await labExec(state, node.name, ['ethtool', '-K', 'flannel.1', 'tx-checksum-ip-generic', 'on']);
    },
  },
} satisfies FaultFamily;
