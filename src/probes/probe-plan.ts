import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import { PEER_PROBE, PROBE, type ProbeKey } from '../diagnosis/facts.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import type { OverlayPingSpec } from './probe-bundle.js';
import { probeCommands } from './probe-commands.js';

export interface PlannedProbe {
  readonly key: ProbeKey;
  readonly command: RemoteCommand;
  /** Per-probe budget: a dropped packet costs its own timeout, nothing else waits on it. */
  readonly timeoutMs: number;
  /** A local read that cannot wait on the network: run in sequence with the other quick ones. */
  readonly quick?: boolean;
}

export interface NodePlan {
  readonly node: InventoryNode;
  readonly probes: readonly PlannedProbe[];
  /** Overlay pings to every peer's flannel.1 address, found on the node itself from its routes. */
  readonly overlay?: OverlayPingSpec;
}

const QUICK = 3000;
/** TCP to every peer goes to the kubelet port: a SYN-ACK or a RST both prove the path carries TCP. */
const KUBELET_PORT = 10250;
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
    { key: PROBE.flannelLink, command: probeCommands.linkShow('flannel.1'), timeoutMs: QUICK, quick: true },
    { key: PROBE.addresses, command: probeCommands.addrShow(), timeoutMs: QUICK, quick: true },
    { key: PROBE.routeControlPlane, command: probeCommands.routeGet(cp.host), timeoutMs: QUICK, quick: true },
    { key: PROBE.routes, command: probeCommands.routes(), timeoutMs: QUICK, quick: true },
    { key: PROBE.fdb, command: probeCommands.fdb('flannel.1'), timeoutMs: QUICK, quick: true },
    { key: PROBE.neigh, command: probeCommands.neigh('flannel.1'), timeoutMs: QUICK, quick: true },
    { key: PROBE.cniConfig, command: probeCommands.cniConfigDir(), timeoutMs: QUICK, quick: true },
    { key: PROBE.subnetEnv, command: probeCommands.subnetEnv(), timeoutMs: QUICK, quick: true },
    { key: PROBE.sysctls, command: probeCommands.sysctls(), timeoutMs: QUICK, quick: true },
    { key: PROBE.flannelLog, command: probeCommands.flannelLog(), timeoutMs: QUICK, quick: true },
    { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000, quick: true },
    { key: PROBE.iptablesBackends, command: probeCommands.iptablesBackends(), timeoutMs: 5000, quick: true },
    { key: PROBE.services, command: probeCommands.services(), timeoutMs: QUICK, quick: true },
    ...peers
      .filter((p) => p.name !== cp.name)
      .flatMap((p) => [
        { key: PEER_PROBE.underlayPing(p.name), command: probeCommands.pingHost(p.host), timeoutMs: PING },
        {
          key: PEER_PROBE.underlayTcp(p.name),
          command: probeCommands.tcpConnect(p.host, KUBELET_PORT),
          timeoutMs: PING,
        },
      ]),
  ];
  if (target.name === cp.name)
    targetProbes.push({
      key: PROBE.listening,
      command: probeCommands.listeningTcp(),
      timeoutMs: QUICK,
      quick: true,
    });

  const plans: NodePlan[] = [
    { node: target, probes: targetProbes, overlay: { maxPeers: peers.length, timeoutMs: PING } },
  ];
  for (const peer of peers) {
    const probes: PlannedProbe[] = [
      { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000, quick: true },
      { key: PROBE.flannelLink, command: probeCommands.linkShow('flannel.1'), timeoutMs: QUICK, quick: true },
      { key: PROBE.subnetEnv, command: probeCommands.subnetEnv(), timeoutMs: QUICK, quick: true },
      { key: PROBE.fdb, command: probeCommands.fdb('flannel.1'), timeoutMs: QUICK, quick: true },
    ];
    if (peer.name === cp.name)
      probes.push({
        key: PROBE.listening,
        command: probeCommands.listeningTcp(),
        timeoutMs: QUICK,
        quick: true,
      });
    plans.push({ node: peer, probes });
  }
  return plans;
}
