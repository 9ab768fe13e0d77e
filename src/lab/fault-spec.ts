import { LabError } from './lab-exec.js';

export const FAULT_IDS = [
  'icmp-blocked',
  'apiserver-port-blocked',
  'apiserver-down',
  'podcidr-overlaps-host-net',
  'podcidr-not-assigned',
  'podcidr-netconf-mismatch',
  'flannel1-missing',
  'subnet-env-missing',
  'cni-config-missing',
  'leftover-cni-config',
  'stale-cni0-bridge',
  'forward-policy-drop',
  'ip-forward-disabled',
  'br-netfilter-missing',
  'vxlan-8472-blocked',
  'wrong-iface-public-ip',
  'mtu-mismatch',
  'vtep-mac-mismatch',
  'kube-proxy-missing',
  'node-unreachable',
  'no-default-route',
  'flannel1-stale-address',
  'network-manager-interference',
  'vxlan-checksum-offload',
  'conntrack-table-full',
  'public-ip-duplicate',
  'peer-route-missing',
  // The firewall faults in native nftables, firewalld's table, a default-deny policy and iptables'
  // raw table (docs/lab.md).
  'icmp-blocked-nft',
  'apiserver-port-blocked-nft',
  'vxlan-8472-blocked-nft',
  'icmp-blocked-firewalld',
  'vxlan-8472-blocked-policy',
  'icmp-blocked-raw',
  'apiserver-port-blocked-raw',
  'vxlan-8472-blocked-raw',
] as const;

export type FaultId = (typeof FAULT_IDS)[number];

/** The catalog id a lab fault shows as: the firewall variants (`-nft`, `-raw`, `-firewalld`, `-policy`) are their base fault. */
export const faultCatalogId = (id: FaultId): string => id.replace(/-(nft|raw|firewalld|policy)$/, '');

export interface FaultSpec {
  readonly id: FaultId;
  readonly node: string;
}

/** "icmp-blocked@cp-1" → { id, node }, with a message that lists what is valid. */
export function parseFaultSpec(text: string): FaultSpec {
  const m = /^([a-z0-9-]+)@([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text.trim());
  if (!m) throw new LabError(`"${text}" is not a fault: expected ID@NODE, e.g. icmp-blocked@cp-1`);
  const id = m[1] as FaultId;
  if (!FAULT_IDS.includes(id))
    throw new LabError(`unknown fault "${m[1]}"; known faults: ${FAULT_IDS.join(', ')}`);
  return { id, node: m[2]! };
}
