import { controlPlane, type FaultFamily, ipt, ruleFault, tryIpt } from './fault-impl.js';
import { nodeRun } from './lab-node-exec.js';
import { nodeIptables } from './lab-node-files.js';

/** Flannel's jump from FORWARD into its own chain, as iptables arguments after -A/-D. */
const FLANNEL_FWD_JUMP = ['FORWARD', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'FLANNEL-FWD'];

/** Faults in the node's iptables: filter rules, policies and kube-proxy's nat chain. */
export const FIREWALL_FAULTS = {
  // On the control plane a firewall drops echo requests in; on a worker they are dropped going out.
  'icmp-blocked': ruleFault((state, node) =>
    node.role === 'control-plane'
      ? ['INPUT', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '8', '-j', 'DROP']
      : [
          'OUTPUT',
          '-p',
          'icmp',
          '-m',
          'icmp',
          '--icmp-type',
          '8',
          '-d',
          `${controlPlane(state).host}/32`,
          '-j',
          'DROP',
        ],
  ),
  'apiserver-port-blocked': ruleFault((state, node) =>
    node.role === 'control-plane'
      ? ['INPUT', '-p', 'tcp', '-m', 'tcp', '--dport', '6443', '-j', 'DROP']
      : [
          'OUTPUT',
          '-p',
          'tcp',
          '-d',
          `${controlPlane(state).host}/32`,
          '-m',
          'tcp',
          '--dport',
          '6443',
          '-j',
          'REJECT',
          '--reject-with',
          'tcp-reset',
        ],
  ),
  'vxlan-8472-blocked': ruleFault(() => ['INPUT', '-p', 'udp', '-m', 'udp', '--dport', '8472', '-j', 'DROP']),
  'forward-policy-drop': {
    // After a reboot or a Docker restart: FORWARD policy DROP and Flannel's jump gone.
    add: async (state, node) => {
      await ipt(state, node, '-P', 'FORWARD', 'DROP');
      await tryIpt(state, node, '-D', ...FLANNEL_FWD_JUMP);
    },
    clear: async (state, node) => {
      await ipt(state, node, '-P', 'FORWARD', 'ACCEPT');
      await tryIpt(state, node, '-D', ...FLANNEL_FWD_JUMP);
      await ipt(state, node, '-A', ...FLANNEL_FWD_JUMP);
    },
  },
  'kube-proxy-missing': {
    add: (state, node) => ipt(state, node, '-t', 'nat', '-F', 'KUBE-SERVICES'),
    clear: async (state, node) => {
      // Restore the nat table as kube-proxy would write it.
      const nat = nodeIptables(node, controlPlane(state).host).split('*nat')[1] ?? '';
      await nodeRun(state, node.name, ['iptables-restore', '--table=nat'], `*nat${nat}`);
    },
  },
} satisfies FaultFamily;
