import { controlPlane, type FaultFamily, type FaultImpl, ipt, tryIpt } from './fault-impl.js';
import { labExec, nodeRun } from './lab-node-exec.js';
import type { LabState } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/**
 * The firewall faults again, written the other ways real nodes have them: in native nftables
 * (Debian's nftables.service table `inet filter`, firewalld's `inet firewalld`) and in iptables'
 * `raw` table. Each is written with the node's own `nft`/`iptables`, the tools that later read it.
 */

/** A native table on the node, made in one `nft -f` transaction; clearing deletes the whole table. */
function nftFault(
  family: string,
  table: string,
  body: (state: LabState, node: LabNodeSpec) => string,
): FaultImpl {
  return {
    add: (state, node) =>
      nodeRun(
        state,
        node.name,
        ['nft', '-f', '-'],
        `table ${family} ${table} {\n${body(state, node)}\n}\n`,
      ).then(() => undefined),
    clear: (state, node) =>
      labExec(state, node.name, ['nft', 'delete', 'table', family, table]).then(() => undefined),
  };
}

const chain = (hook: 'input' | 'output', rules: string, prio = 'filter') =>
  `  chain ${hook} {\n    type filter hook ${hook} priority ${prio}; policy accept;\n    ct state established,related accept\n    ${rules}\n  }`;

/** On the control plane the rule drops what comes in; on a worker what goes out to the control plane. */
const cpOrWorker =
  (onCp: string, onWorker: (cpHost: string) => string) => (state: LabState, node: LabNodeSpec) =>
    node.role === 'control-plane'
      ? chain('input', onCp)
      : chain('output', onWorker(controlPlane(state).host));

/** An iptables rule in the raw table (before conntrack): inserted, and deleted exactly on clear. */
function rawFault(spec: (state: LabState, node: LabNodeSpec) => string[]): FaultImpl {
  return {
    add: (state, node) => ipt(state, node, '-t', 'raw', '-I', ...spec(state, node)),
    clear: (state, node) => tryIpt(state, node, '-t', 'raw', '-D', ...spec(state, node)),
  };
}

export const NFTABLES_FAULTS = {
  'icmp-blocked-nft': nftFault(
    'inet',
    'filter',
    cpOrWorker('icmp type echo-request drop', (cp) => `ip daddr ${cp} icmp type echo-request drop`),
  ),
  'apiserver-port-blocked-nft': nftFault(
    'inet',
    'filter',
    cpOrWorker('tcp dport 6443 drop', (cp) => `ip daddr ${cp} tcp dport 6443 reject with tcp reset`),
  ),
  'vxlan-8472-blocked-nft': nftFault('inet', 'filter', () => chain('input', 'udp dport 8472 drop')),
  // firewalld's shape: accept what a zone allows (SSH, the API server, kubelet, VXLAN), reject the rest.
  'icmp-blocked-firewalld': nftFault(
    'inet',
    'firewalld',
    (state) => `  chain filter_INPUT {
    type filter hook input priority filter + 10; policy accept;
    ct state { established, related } accept
    ct status dnat accept
    iifname "lo" accept
    ip saddr ${state.specs[0]!.host.replace(/\.\d+$/, '.0')}/24 tcp dport { 22, 6443, 10250 } accept
    udp dport 8472 accept
    ct state invalid drop
    reject with icmpx admin-prohibited
  }`,
  ),
  // A default-deny host firewall (a hardening guide's nftables.service) that lets in what the
  // guide listed — replies, loopback, SSH, the API server, kubelet, ping — and forgot Flannel's
  // VXLAN: the chain's policy drops it; no rule names it.
  'vxlan-8472-blocked-policy': nftFault(
    'inet',
    'filter',
    (state) => `  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "lo" accept
    tcp dport 22 accept
    ip saddr ${state.specs[0]!.host.replace(/\.\d+$/, '.0')}/24 tcp dport { 6443, 10250 } accept
    icmp type echo-request accept
  }`,
  ),
  'icmp-blocked-raw': rawFault((state, node) =>
    node.role === 'control-plane'
      ? ['PREROUTING', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '8', '-j', 'DROP']
      : [
          'OUTPUT',
          '-d',
          `${controlPlane(state).host}/32`,
          '-p',
          'icmp',
          '-m',
          'icmp',
          '--icmp-type',
          '8',
          '-j',
          'DROP',
        ],
  ),
  'apiserver-port-blocked-raw': rawFault((state, node) =>
    node.role === 'control-plane'
      ? ['PREROUTING', '-p', 'tcp', '-m', 'tcp', '--dport', '6443', '-j', 'DROP']
      : [
          'OUTPUT',
          '-d',
          `${controlPlane(state).host}/32`,
          '-p',
          'tcp',
          '-m',
          'tcp',
          '--dport',
          '6443',
          '-j',
          'DROP',
        ],
  ),
  'vxlan-8472-blocked-raw': rawFault(() => [
    'PREROUTING',
    '-p',
    'udp',
    '-m',
    'udp',
    '--dport',
    '8472',
    '-j',
    'DROP',
  ]),
} satisfies FaultFamily;
