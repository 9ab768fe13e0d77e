import type { PairProbeTarget } from './pair-probes.js';

/**
 * What one source node probes in `/netcheck mesh`, per peer:
 * - underlay-icmp: echo to the peer's node address;
 * - underlay-tcp: connect to the peer's kubelet port (10250). A RST counts as an answer: the
 *   peer's kernel got the SYN and replied, which is what the underlay plane asks. Not sshd's port:
 *   every connect to sshd forks an sshd child (and 100 nodes × 99 peers of them trip MaxStartups),
 *   while a connect to 10250 costs the peer nothing whether kubelet listens (real nodes) or not
 *   (the lab, which answers with a RST);
 * - overlay-flannel: echo to the peer's flannel.1 address (podCIDR's .0) through the VXLAN;
 * - overlay-pod: echo to an address on the peer's cni0 (podCIDR's .1): the pod network beyond the VTEP;
 * and once per source: apiserver-tcp, a connect to the API server's host and port.
 */
export const MESH_PROBES = [
  'underlay-icmp',
  'underlay-tcp',
  'overlay-flannel',
  'overlay-pod',
  'apiserver-tcp',
] as const;
export type MeshProbe = (typeof MESH_PROBES)[number];

export const UNDERLAY_TCP_PORT = 10250;

export interface MeshPeer {
  readonly name: string;
  /** Underlay (node) address from the inventory. */
  readonly host: string;
  /** flannel.1's address, from the node's podCIDR; undefined when no podCIDR is known. */
  readonly overlayAddress: string | undefined;
  /** An address on cni0 (the pod network's gateway on that node). */
  readonly podAddress: string | undefined;
}

export const APISERVER_TARGET = 'apiserver';

/** The key of one probe's result: `<peer>|<probe>` (node names cannot contain `|`). */
export const meshKey = (peer: string, probe: MeshProbe): string => `${peer}|${probe}`;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The targets of one source. A peer or API server whose address is not IPv4 (a DNS name) or not
 * known is left out: its cells are `unknown` with the reason the caller gives.
 */
export function meshTargets(
  source: string,
  peers: readonly MeshPeer[],
  apiServer: { readonly host: string; readonly port: number } | undefined,
): PairProbeTarget[] {
  const targets: PairProbeTarget[] = [];
  for (const peer of peers) {
    if (peer.name === source) continue;
    if (IPV4.test(peer.host)) {
      targets.push({ key: meshKey(peer.name, 'underlay-icmp'), kind: 'icmp', host: peer.host });
      targets.push({
        key: meshKey(peer.name, 'underlay-tcp'),
        kind: 'tcp',
        host: peer.host,
        port: UNDERLAY_TCP_PORT,
      });
    }
    if (peer.overlayAddress && IPV4.test(peer.overlayAddress))
      targets.push({ key: meshKey(peer.name, 'overlay-flannel'), kind: 'icmp', host: peer.overlayAddress });
    if (peer.podAddress && IPV4.test(peer.podAddress))
      targets.push({ key: meshKey(peer.name, 'overlay-pod'), kind: 'icmp', host: peer.podAddress });
  }
  if (apiServer && IPV4.test(apiServer.host))
    targets.push({
      key: meshKey(APISERVER_TARGET, 'apiserver-tcp'),
      kind: 'tcp',
      host: apiServer.host,
      port: apiServer.port,
    });
  return targets;
}

/** flannel.1's and cni0's addresses from a node's podCIDR (`10.244.3.0/24` → .0 and .1). */
export function overlayAddresses(podCIDR: string | undefined): {
  overlayAddress: string | undefined;
  podAddress: string | undefined;
} {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(podCIDR ?? '');
  if (!m || Number(m[5]) > 30) return { overlayAddress: undefined, podAddress: undefined };
  const base = m.slice(1, 5).map(Number);
  if (base.some((o) => o > 255)) return { overlayAddress: undefined, podAddress: undefined };
  const n = ((base[0]! << 24) | (base[1]! << 16) | (base[2]! << 8) | base[3]!) >>> 0;
  const mask = Number(m[5]) === 0 ? 0 : (0xffffffff << (32 - Number(m[5]))) >>> 0;
  const net = (n & mask) >>> 0;
  const ip = (v: number) => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
  return { overlayAddress: ip(net), podAddress: ip(net + 1) };
}
