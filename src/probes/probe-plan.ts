import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import { PEER_PROBE, PROBE, type ProbeKey } from '../diagnosis/facts.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import { parseLink } from './link-probe.js';
import { parseRoutes } from './overlay-probes.js';
import { probeCommands } from './probe-commands.js';
import type { ProbeOutput } from './probe-output.js';

export interface PlannedProbe {
  readonly key: ProbeKey;
  readonly command: RemoteCommand;
  /** Per-probe budget: a dropped packet costs its own timeout, nothing else waits on it. */
  readonly timeoutMs: number;
}

export interface NodePlan {
  readonly node: InventoryNode;
  readonly probes: readonly PlannedProbe[];
  /** Probes that depend on what the first round found (overlay pings need the peers' overlay addresses). */
  readonly followUp?: (outputs: Readonly<Record<string, ProbeOutput>>) => PlannedProbe[];
}

const QUICK = 3000;
const PING = 3000;

/**
 * Which read-only probes run where to diagnose `target`: the full set on the target; the server side
 * on the control plane; on every other node the few facts needed to attribute a fault to it
 * (its filter rules and its flannel.1).
 */
export function planProbes(inventory: Inventory, target: InventoryNode): NodePlan[] {
  const cp = controlPlaneNode(inventory);
  const api = inventory.cluster.apiServer;
  const livez = `${api.url.replace(/\/$/, '')}/livez`;
  const peers = inventory.nodes.filter((n) => n.name !== target.name);

  const targetProbes: PlannedProbe[] = [
    { key: PROBE.pingControlPlane, command: probeCommands.pingHost(cp.host), timeoutMs: PING },
    { key: PROBE.httpsApiServer, command: probeCommands.httpsGet(livez), timeoutMs: 5000 },
    { key: PROBE.flannelLink, command: probeCommands.linkShow('flannel.1'), timeoutMs: QUICK },
    { key: PROBE.addresses, command: probeCommands.addrShow(), timeoutMs: QUICK },
    { key: PROBE.routeControlPlane, command: probeCommands.routeGet(cp.host), timeoutMs: QUICK },
    { key: PROBE.routes, command: probeCommands.routes(), timeoutMs: QUICK },
    { key: PROBE.fdb, command: probeCommands.fdb('flannel.1'), timeoutMs: QUICK },
    { key: PROBE.neigh, command: probeCommands.neigh('flannel.1'), timeoutMs: QUICK },
    { key: PROBE.cniConfig, command: probeCommands.cniConfigDir(), timeoutMs: QUICK },
    { key: PROBE.subnetEnv, command: probeCommands.subnetEnv(), timeoutMs: QUICK },
    { key: PROBE.sysctls, command: probeCommands.sysctls(), timeoutMs: QUICK },
    { key: PROBE.flannelLog, command: probeCommands.flannelLog(), timeoutMs: QUICK },
    { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000 },
    ...peers
      .filter((p) => p.name !== cp.name)
      .map((p) => ({
        key: PEER_PROBE.underlayPing(p.name),
        command: probeCommands.pingHost(p.host),
        timeoutMs: PING,
      })),
  ];
  if (target.name === cp.name)
    targetProbes.push({ key: PROBE.listening, command: probeCommands.listeningTcp(), timeoutMs: QUICK });

  const plans: NodePlan[] = [
    { node: target, probes: targetProbes, followUp: (outputs) => overlayProbes(outputs, peers) },
  ];
  for (const peer of peers) {
    const probes: PlannedProbe[] = [
      { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000 },
      { key: PROBE.flannelLink, command: probeCommands.linkShow('flannel.1'), timeoutMs: QUICK },
      { key: PROBE.subnetEnv, command: probeCommands.subnetEnv(), timeoutMs: QUICK },
      { key: PROBE.fdb, command: probeCommands.fdb('flannel.1'), timeoutMs: QUICK },
    ];
    if (peer.name === cp.name)
      probes.push({ key: PROBE.listening, command: probeCommands.listeningTcp(), timeoutMs: QUICK });
    plans.push({ node: peer, probes });
  }
  return plans;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Overlay pings to every peer's flannel.1 address (the gateway of its `… via X dev flannel.1 onlink`
 * route): a small one proves VXLAN end to end, a full-size don't-fragment one proves the MTU.
 */
function overlayProbes(
  outputs: Readonly<Record<string, ProbeOutput>>,
  peers: readonly InventoryNode[],
): PlannedProbe[] {
  const routesOutput = outputs[PROBE.routes];
  const linkOutput = outputs[PROBE.flannelLink];
  const routes = routesOutput ? parseRoutes(routesOutput) : undefined;
  const link = linkOutput ? parseLink(linkOutput, 'flannel.1') : undefined;
  if (routes?.status !== 'ok' || link?.status !== 'ok' || !link.value.exists) return [];
  const mtu = link.value.mtu ?? 1450;
  const gateways = [
    ...new Set(
      routes.value
        .filter((r) => r.dev === 'flannel.1' && r.gateway && IPV4.test(r.gateway))
        .map((r) => r.gateway!),
    ),
  ];
  // Keyed by the overlay address; diagnosis maps it to the peer through the peers' subnet.env. The peer count bounds the list.
  return gateways.slice(0, peers.length).flatMap((gw) => [
    { key: PEER_PROBE.overlayPing(gw), command: probeCommands.pingHost(gw), timeoutMs: PING },
    {
      key: PEER_PROBE.overlayDfPing(gw),
      command: probeCommands.pingDontFragment(gw, Math.max(0, mtu - 28)),
      timeoutMs: PING,
    },
  ]);
}
