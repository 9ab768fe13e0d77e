/** The failure catalog of DESIGN.md: stable ids, their rank among root causes, and the fix column. */
export interface CatalogEntry {
  readonly id: string;
  readonly title: string;
  readonly fix: string;
  readonly destructive: boolean;
}

const entries: CatalogEntry[] = [
  {
    id: 'host-key-mismatch',
    title: "the node's SSH host key is not the pinned one",
    fix: 'Never proceed: confirm the host key out of band, then update known_hosts.',
    destructive: false,
  },
  {
    id: 'node-unreachable',
    title: 'SSH to the node fails',
    fix: 'No automatic fix: check the node is powered on and its network link/switch port.',
    destructive: false,
  },
  {
    id: 'podcidr-overlaps-host-net',
    title: 'the pod network overlaps the node network',
    fix: 'Reset the cluster network and re-init with a non-overlapping --pod-network-cidr (destructive, needs approval).',
    destructive: true,
  },
  {
    id: 'apiserver-down',
    title: 'nothing listens on 6443 on the control plane',
    fix: 'Restart kubelet / the kube-apiserver static pod on the control plane.',
    destructive: false,
  },
  {
    id: 'apiserver-port-blocked',
    title: '6443/tcp is dropped or rejected on the path',
    fix: 'Delete the offending iptables rule (the exact rule is in the evidence).',
    destructive: false,
  },
  {
    id: 'icmp-blocked',
    title: 'ICMP is dropped by a filter rule',
    fix: 'Delete the offending iptables rule (the exact rule is in the evidence).',
    destructive: false,
  },
  {
    id: 'flannel1-missing',
    title: 'no flannel.1 VXLAN device',
    fix: 'Restart the Flannel pod on the node so it recreates flannel.1.',
    destructive: false,
  },
  {
    id: 'subnet-env-missing',
    title: '/run/flannel/subnet.env is absent',
    fix: "Fix Flannel's start (see its log); never hand-write subnet.env.",
    destructive: false,
  },
  {
    id: 'cni-config-missing',
    title: 'no Flannel conflist in /etc/cni/net.d',
    fix: 'Re-apply the Flannel manifest so its init container writes 10-flannel.conflist.',
    destructive: false,
  },
];

export const CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(entries.map((e) => [e.id, e]));

/** Lower rank is shown first when two root causes are equally confident. */
export function catalogRank(id: string): number {
  const i = entries.findIndex((e) => e.id === id);
  return i < 0 ? entries.length : i;
}

export function catalogEntry(id: string): CatalogEntry {
  const entry = CATALOG.get(id);
  if (!entry) throw new Error(`unknown catalog id ${id}`);
  return entry;
}
