/**
 * Check ids, typed: a misspelt kind fails the typecheck. A check is named by its kind, the node it
 * was made on, and for a per-peer check the peer (a node name, or an overlay address). `checkRef`
 * is the one way to name a check: builders create checks from it, rules look checks up and list
 * what they explain with it, so no id string is ever spelt by hand.
 */
export const NODE_CHECK_KINDS = [
  'ssh',
  'ping-control-plane',
  'tcp-apiserver',
  'https-apiserver',
  'route-control-plane',
  'flannel-link',
  'cni-config',
  'subnet-env',
  'apiserver-listening',
  'iptables-readable',
  'iptables-backends',
  'ip-forward',
  'br-netfilter',
  'forward-policy',
  'cni-first-config',
  'cni0-address',
  'vxlan-local',
  'overlay-mtu-config',
  'vtep-mac',
  'kube-proxy-rules',
  'podcidr-assigned',
  'netconf-contains-subnet',
  'default-route',
  'flannel1-addresses',
  'network-manager',
  'vxlan-checksum',
  'conntrack-room',
  'peer-overlay-entries',
  'public-ip-unique',
] as const;

/** Checks made once per peer: their id carries the peer (`underlay-ping:node-1`, `overlay-ping:10.244.1.0`). */
export const PEER_CHECK_KINDS = ['underlay-ping', 'underlay-tcp', 'overlay-ping', 'overlay-df-ping'] as const;

export type NodeCheckKind = (typeof NODE_CHECK_KINDS)[number];
export type PeerCheckKind = (typeof PEER_CHECK_KINDS)[number];
export type CheckKind = NodeCheckKind | PeerCheckKind;

/** The overlay pings, small and full-size: the same packets through the VXLAN, the second larger. */
export const OVERLAY_CHECK_KINDS: ReadonlySet<CheckKind> = new Set<CheckKind>([
  'overlay-ping',
  'overlay-df-ping',
]);

/** A check's id as a report shows it. */
export type CheckId = NodeCheckKind | `${PeerCheckKind}:${string}`;

/** `<check id>@<node>`: one check on one node, as findings list the checks they explain. */
export type CheckKey = `${CheckId}@${string}`;

export interface CheckRef {
  readonly kind: CheckKind;
  readonly id: CheckId;
  readonly node: string;
  readonly peer?: string;
  readonly key: CheckKey;
}

/** The key of a check (or of a reference to one): `<id>@<node>`. */
export const checkKey = (c: { readonly id: CheckId; readonly node: string }): CheckKey => `${c.id}@${c.node}`;

export function checkRef(kind: NodeCheckKind, node: string): CheckRef;
export function checkRef(kind: PeerCheckKind, node: string, peer: string): CheckRef;
export function checkRef(kind: CheckKind, node: string, peer?: string): CheckRef {
  const id: CheckId = peer === undefined ? (kind as NodeCheckKind) : `${kind as PeerCheckKind}:${peer}`;
  const key = checkKey({ id, node });
  return peer === undefined ? { kind, id, node, key } : { kind, id, node, peer, key };
}
