import type { Inventory } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import { type RemoteCommand, sh } from '../ssh/remote-command.js';
import type { BundledProbe } from './probe-bundle.js';
import { probeCommands } from './probe-commands.js';
import { UDP_EXCHANGE_PERL } from './udp-exchange-script.js';

/** The VXLAN port Flannel uses, and how long both ends of the UDP check send and listen (s). */
export const VXLAN_PORT = 8472;
export const UDP_WINDOW_S = 3;
const KUBELET_PORT = 10250;

/** Probe keys of a preflight (stable: the evaluation and recorded fixtures use them). */
export const PREFLIGHT_PROBE = {
  hostname: 'hostname',
  productUuid: 'product-uuid',
  swaps: 'swaps',
  kubeletConf: 'kubelet-conf',
  addresses: 'addresses',
  routes: 'routes',
  sysctls: 'sysctls',
  cniConfig: 'cni-config',
  udp: 'udp-8472',
  /** To the API server (the inventory's endpoint, 6443 by default), from the candidate only. */
  apiServer: 'tcp-apiserver',
} as const;

/** A path probe towards one peer: `ping:<peer>` or `tcp-10250:<peer>`. */
export type PathKind = 'ping' | 'tcp-10250';
export const pathProbeKey = (kind: PathKind, peer: string) => `${kind}:${peer}`;

/** Read-only commands a preflight adds to the registry's (probes/probe-registry.ts). */
export const preflightCommands = {
  hostname: (): RemoteCommand => sh`cat /proc/sys/kernel/hostname`,
  /** Root-only file; absent in containers and on some VMs (then the check is unknown, never a pass). */
  productUuid: (): RemoteCommand =>
    sh`if [ -e /sys/class/dmi/id/product_uuid ]; then cat /sys/class/dmi/id/product_uuid; else echo NOFILE; fi`,
  swaps: (): RemoteCommand => sh`cat /proc/swaps`,
  /** What `kubeadm join` writes: present on a node that joined (or was not reset after leaving). */
  kubeletConf: (): RemoteCommand =>
    sh`if [ -e /etc/kubernetes/kubelet.conf ]; then echo PRESENT; else echo ABSENT; fi`,
  /** The node's clock in ns since the epoch, read alone so the round trip bounds the error. */
  clock: (): RemoteCommand => sh`date -u +%s%N`,
  udpExchange: (nonce: string, to: readonly string[], from: readonly string[]): RemoteCommand =>
    sh`if command -v perl >/dev/null 2>&1; then LC_ALL=C perl -e ${UDP_EXCHANGE_PERL} ${VXLAN_PORT} ${UDP_WINDOW_S} ${nonce} ${to.join(',') || '-'} ${from.join(',') || '-'}; else echo udp-noperl; exit 2; fi`,
} as const;

export interface PreflightNodePlan {
  readonly node: InventoryNode;
  readonly probes: readonly BundledProbe[];
}

const quick = (key: string, command: RemoteCommand): BundledProbe => ({
  key,
  command,
  timeoutMs: 3000,
  quick: true,
});
const network = (key: string, command: RemoteCommand, timeoutMs = 3000): BundledProbe => ({
  key,
  command,
  timeoutMs,
  quick: false,
  // ping and the Perl checks (TCP connect, the UDP exchange) end their own wait (probe-bundle.ts).
  selfTimed: true,
});

/**
 * What runs where for `/netcheck preflight <candidate>` (pure): on the candidate, its prerequisites
 * and its paths to every existing node and to the API server; on every existing node, what makes
 * it unique (hostname, MAC, product_uuid) and its paths back to the candidate. The UDP 8472 check
 * runs on both ends at once (see udp-exchange-script.ts). `nonce` is fresh per run.
 */
export function planPreflight(
  inventory: Inventory,
  candidate: InventoryNode,
  nonce: string,
): PreflightNodePlan[] {
  const peers = inventory.nodes.filter((n) => n.name !== candidate.name);
  const udpMs = (UDP_WINDOW_S + 2) * 1000;
  const identity = [
    quick(PREFLIGHT_PROBE.hostname, preflightCommands.hostname()),
    quick(PREFLIGHT_PROBE.productUuid, preflightCommands.productUuid()),
    quick(PREFLIGHT_PROBE.addresses, probeCommands.addrShow()),
  ];
  const api = inventory.cluster.apiServer;
  const onCandidate: BundledProbe[] = [
    ...identity,
    quick(PREFLIGHT_PROBE.swaps, preflightCommands.swaps()),
    quick(PREFLIGHT_PROBE.kubeletConf, preflightCommands.kubeletConf()),
    quick(PREFLIGHT_PROBE.routes, probeCommands.routes()),
    quick(PREFLIGHT_PROBE.sysctls, probeCommands.sysctls()),
    quick(PREFLIGHT_PROBE.cniConfig, probeCommands.cniConfigDir()),
    network(PREFLIGHT_PROBE.apiServer, probeCommands.tcpConnect(api.host, api.port)),
    ...peers.flatMap((p) => [
      network(pathProbeKey('ping', p.name), probeCommands.pingHost(p.host)),
      network(pathProbeKey('tcp-10250', p.name), probeCommands.tcpConnect(p.host, KUBELET_PORT)),
    ]),
    network(
      PREFLIGHT_PROBE.udp,
      preflightCommands.udpExchange(
        nonce,
        peers.map((p) => p.host),
        peers.map((p) => p.host),
      ),
      udpMs,
    ),
  ];
  return [
    { node: candidate, probes: onCandidate },
    ...peers.map((peer) => ({
      node: peer,
      probes: [
        ...identity,
        network(pathProbeKey('ping', candidate.name), probeCommands.pingHost(candidate.host)),
        network(
          pathProbeKey('tcp-10250', candidate.name),
          probeCommands.tcpConnect(candidate.host, KUBELET_PORT),
        ),
        network(
          PREFLIGHT_PROBE.udp,
          preflightCommands.udpExchange(nonce, [candidate.host], [candidate.host]),
          udpMs,
        ),
      ],
    })),
  ];
}
