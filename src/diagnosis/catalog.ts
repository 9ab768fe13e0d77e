/**
 * The failure catalog of DESIGN.md. Ids are stable (Slack, the audit log and tests show them); the
 * order of CATALOG_IDS is the rank among equally confident root causes (first is shown first).
 */
export const CATALOG_IDS = [
  'host-key-mismatch',
  'node-unreachable',
  'podcidr-overlaps-host-net',
  'apiserver-down',
  'apiserver-port-blocked',
  'icmp-blocked',
  'flannel1-missing',
  'subnet-env-missing',
  'cni-config-missing',
  'podcidr-not-assigned',
  'podcidr-netconf-mismatch',
  'public-ip-duplicate',
  'wrong-iface-public-ip',
  'vtep-mac-mismatch',
  'peer-route-missing',
  'vxlan-8472-blocked',
  'mtu-mismatch',
  'forward-policy-drop',
  'ip-forward-disabled',
  'br-netfilter-missing',
  'kube-proxy-missing',
  'leftover-cni-config',
  'stale-cni0-bridge',
  'iptables-backend-mismatch',
  'no-default-route',
  'flannel1-stale-address',
  'network-manager-interference',
  'vxlan-checksum-offload',
  'conntrack-table-full',
] as const;

/** A catalog id: a misspelt one fails the typecheck. */
export type CatalogId = (typeof CATALOG_IDS)[number];

export interface CatalogEntry {
  readonly id: CatalogId;
  readonly title: string;
  /** The fix column of DESIGN.md, as shown in a report. */
  readonly fix: string;
  readonly destructive: boolean;
}

const ENTRIES: { readonly [K in CatalogId]: Omit<CatalogEntry, 'id'> } = {
  'host-key-mismatch': {
    title: "the node's SSH host key is not the pinned one",
    fix: 'Never proceed: confirm the host key out of band, then update known_hosts.',
    destructive: false,
  },
  'node-unreachable': {
    title: 'SSH to the node fails',
    fix: 'No automatic fix: check the node is powered on and its network link/switch port.',
    destructive: false,
  },
  'podcidr-overlaps-host-net': {
    title: 'the pod network overlaps the node network',
    fix: 'Reset the cluster network and re-init with a non-overlapping --pod-network-cidr (destructive, needs approval).',
    destructive: true,
  },
  'apiserver-down': {
    title: 'nothing listens on 6443 on the control plane',
    fix: 'Restart kubelet / the kube-apiserver static pod on the control plane.',
    destructive: false,
  },
  'apiserver-port-blocked': {
    title: '6443/tcp is dropped or rejected on the path',
    fix: 'Delete exactly the firewall rule that drops it (named in the evidence), after backing up every ruleset.',
    destructive: false,
  },
  'icmp-blocked': {
    title: 'ICMP is dropped by a filter rule',
    fix: 'Delete exactly the firewall rule that drops it (named in the evidence), after backing up every ruleset.',
    destructive: false,
  },
  'flannel1-missing': {
    title: 'no flannel.1 VXLAN device',
    fix: 'Restart the Flannel pod on the node so it recreates flannel.1.',
    destructive: false,
  },
  'subnet-env-missing': {
    title: '/run/flannel/subnet.env is absent',
    fix: "Fix Flannel's start (see its log); never hand-write subnet.env.",
    destructive: false,
  },
  'cni-config-missing': {
    title: 'no Flannel conflist in /etc/cni/net.d',
    fix: 'Re-apply the Flannel manifest so its init container writes 10-flannel.conflist.',
    destructive: false,
  },
  'podcidr-not-assigned': {
    title: 'the node has no podCIDR',
    fix: 'Give kube-controller-manager --allocate-node-cidrs and --cluster-cidr, or reset and re-init with --pod-network-cidr (destructive).',
    destructive: true,
  },
  'podcidr-netconf-mismatch': {
    title: "Flannel's Network does not contain the node's podCIDR",
    fix: 'Fix net-conf.json Network in kube-flannel-cfg to the cluster pod CIDR, then restart the Flannel pods.',
    destructive: false,
  },
  'wrong-iface-public-ip': {
    title: 'Flannel is bound to the wrong interface/address',
    fix: "Set Flannel's --iface (or --iface-can-reach) to the node network and restart the Flannel pod.",
    destructive: false,
  },
  'vtep-mac-mismatch': {
    title: "flannel.1's MAC differs from its VtepMAC / peers' FDB",
    fix: 'Restart the Flannel pod on the node so it republishes its VtepMAC (and pin MACAddressPolicy=none for flannel.1).',
    destructive: false,
  },
  'vxlan-8472-blocked': {
    title: 'UDP 8472 (VXLAN) is dropped between nodes',
    fix: 'Delete the rule dropping 8472/udp, or allow 8472/udp between nodes.',
    destructive: false,
  },
  'mtu-mismatch': {
    title: 'the overlay MTU is too large for the underlay',
    fix: 'Set the Flannel MTU to the uplink MTU minus 50 and restart Flannel.',
    destructive: false,
  },
  'forward-policy-drop': {
    title: 'FORWARD policy DROP without Flannel accept rules',
    fix: 'Restore the FLANNEL-FWD jump (restart Flannel) or accept the pod network in FORWARD.',
    destructive: false,
  },
  'ip-forward-disabled': {
    title: 'net.ipv4.ip_forward = 0',
    fix: 'sysctl -w net.ipv4.ip_forward=1 and persist it in /etc/sysctl.d/.',
    destructive: false,
  },
  'br-netfilter-missing': {
    title: 'bridge netfilter is off',
    fix: 'modprobe br_netfilter, set net.bridge.bridge-nf-call-iptables=1, persist both.',
    destructive: false,
  },
  'kube-proxy-missing': {
    title: 'no service rules for the API ClusterIP',
    fix: 'Restart/fix kube-proxy on the node (its DaemonSet pod).',
    destructive: false,
  },
  'leftover-cni-config': {
    title: "another plugin's CNI config sorts before Flannel's",
    fix: 'Move the foreign CNI config file to the backup folder (it is in the evidence).',
    destructive: false,
  },
  'stale-cni0-bridge': {
    title: "cni0's address differs from this node's Flannel subnet",
    fix: 'Delete cni0 and restart kubelet so it is recreated with the right address (disruptive).',
    destructive: true,
  },
  'iptables-backend-mismatch': {
    title: 'rules split between the legacy and nft iptables backends',
    fix: 'Align every component on one iptables backend (disruptive).',
    destructive: true,
  },
  'no-default-route': {
    title: 'the node has no default route, so Flannel cannot pick an interface',
    fix: "No automatic fix: restore the default route (`ip route add default via <gateway> dev <uplink>`, and in the node's network config so it survives a reboot), or give Flannel `--iface=<uplink>` in the kube-flannel DaemonSet args; then restart the Flannel pod on the node.",
    destructive: false,
  },
  'flannel1-stale-address': {
    title: "flannel.1 carries an address besides its subnet's",
    fix: 'Remove the extra address from flannel.1 (the exact address is in the evidence); the crash-looping Flannel pod then configures it on its next restart (delete the pod to skip the back-off).',
    destructive: false,
  },
  'network-manager-interference': {
    title: 'NetworkManager manages cni0/flannel.* and removes their addresses or routes',
    fix: 'Add /etc/NetworkManager/conf.d/99-netcheck-unmanaged.conf with `unmanaged-devices=interface-name:cni0;interface-name:flannel*` and reload NetworkManager (`nmcli general reload`).',
    destructive: false,
  },
  'vxlan-checksum-offload': {
    title: 'tx checksum offload on flannel.1 on a kernel with the VXLAN checksum bug',
    fix: 'Turn it off (`ethtool -K flannel.1 tx-checksum-ip-generic off`) and persist it with a udev rule for flannel.1.',
    destructive: false,
  },
  'conntrack-table-full': {
    title: 'the conntrack table is (nearly) full, so new flows are dropped',
    fix: 'Raise net.netfilter.nf_conntrack_max (doubled, bounded; each entry costs about 320 bytes of kernel memory) and persist it in /etc/sysctl.d/90-netcheck-conntrack.conf; then find what opens so many flows.',
    destructive: false,
  },
  'public-ip-duplicate': {
    title: 'several nodes carry the same Flannel public-ip',
    fix: "Give Flannel each node's own address (--iface / --iface-can-reach, or the node annotation flannel.alpha.coreos.com/public-ip-overwrite=<InternalIP>) on every node named, then restart the Flannel pod on each.",
    destructive: false,
  },
  'peer-route-missing': {
    title: "the node lacks some peers' overlay route, FDB or neighbour entry",
    fix: "Restart the Flannel pod on the node so it re-adds every peer's route, FDB and neighbour entry.",
    destructive: false,
  },
};

export const CATALOG: ReadonlyMap<CatalogId, CatalogEntry> = new Map(
  CATALOG_IDS.map((id) => [id, { id, ...ENTRIES[id] }]),
);

/** Lower rank is shown first when two root causes are equally confident. */
export function catalogRank(id: CatalogId): number {
  return CATALOG_IDS.indexOf(id);
}

export function catalogEntry(id: CatalogId): CatalogEntry {
  const entry = CATALOG.get(id);
  if (!entry) throw new Error(`unknown catalog id ${id}: add it to CATALOG_IDS in src/diagnosis/catalog.ts`);
  return entry;
}
