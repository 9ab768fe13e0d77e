import { appendFlannelLog, type FaultFamily, sysctl } from './fault-impl.js';
import { nodeRun, writeNodeFile } from './lab-node-exec.js';
import { CALICO_CONFLIST, FLANNEL_CONFLIST, subnetEnv } from './lab-node-files.js';

/** Faults in a node's kernel settings and in the files Flannel and the CNI leave on it. */
export const NODE_CONFIG_FAULTS = {
  'ip-forward-disabled': {
    add: (state, node) => sysctl(state, node, 'net.ipv4.ip_forward=0'),
    clear: (state, node) => sysctl(state, node, 'net.ipv4.ip_forward=1'),
  },
  'br-netfilter-missing': {
    add: async (state, node) => {
      await sysctl(state, node, 'net.bridge.bridge-nf-call-iptables=0');
      await appendFlannelLog(
        state,
        node,
        'E1124 03:10:00.000000       1 main.go:268] Failed to check br_netfilter: stat /proc/sys/net/bridge/bridge-nf-call-iptables: no such file or directory',
      );
    },
    clear: (state, node) => sysctl(state, node, 'net.bridge.bridge-nf-call-iptables=1'),
  },
  'subnet-env-missing': {
    add: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/run/flannel/subnet.env']).then(() => undefined),
    clear: (state, node) => writeNodeFile(state, node.name, '/run/flannel/subnet.env', subnetEnv(node)),
  },
  'cni-config-missing': {
    add: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/etc/cni/net.d/10-flannel.conflist']).then(() => undefined),
    clear: (state, node) =>
      writeNodeFile(state, node.name, '/etc/cni/net.d/10-flannel.conflist', FLANNEL_CONFLIST),
  },
  'leftover-cni-config': {
    // Calico was tried first and not cleaned up: its config sorts before Flannel's.
    add: (state, node) =>
      writeNodeFile(state, node.name, '/etc/cni/net.d/10-calico.conflist', CALICO_CONFLIST),
    clear: (state, node) =>
      nodeRun(state, node.name, ['rm', '-f', '/etc/cni/net.d/10-calico.conflist']).then(() => undefined),
  },
} satisfies FaultFamily;
