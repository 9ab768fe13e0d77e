import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import { PROBE, type ProbeKey } from '../diagnosis/facts.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import { probeCommands } from './probe-commands.js';

export interface PlannedProbe {
  readonly key: ProbeKey;
  readonly command: RemoteCommand;
  /** Per-probe budget: a dropped packet costs its own timeout, nothing else waits on it. */
  readonly timeoutMs: number;
}

export interface NodePlan {
  readonly node: InventoryNode;
  readonly probes: readonly PlannedProbe[];
}

/** Which read-only probes run where to diagnose `target`: everything on the target, the server side on the control plane. */
export function planProbes(inventory: Inventory, target: InventoryNode): NodePlan[] {
  const cp = controlPlaneNode(inventory);
  const api = inventory.cluster.apiServer;
  const livez = `${api.url.replace(/\/$/, '')}/livez`;
  const targetProbes: PlannedProbe[] = [
    { key: PROBE.pingControlPlane, command: probeCommands.pingHost(cp.host), timeoutMs: 3000 },
    { key: PROBE.httpsApiServer, command: probeCommands.httpsGet(livez), timeoutMs: 5000 },
    { key: PROBE.flannelLink, command: probeCommands.linkShow('flannel.1'), timeoutMs: 3000 },
    { key: PROBE.addresses, command: probeCommands.addrShow(), timeoutMs: 3000 },
    { key: PROBE.routeControlPlane, command: probeCommands.routeGet(cp.host), timeoutMs: 3000 },
    { key: PROBE.cniConfig, command: probeCommands.cniConfigDir(), timeoutMs: 3000 },
    { key: PROBE.subnetEnv, command: probeCommands.subnetEnv(), timeoutMs: 3000 },
    { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000 },
  ];
  const cpProbes: PlannedProbe[] = [
    { key: PROBE.iptables, command: probeCommands.iptablesSave(), timeoutMs: 5000 },
    { key: PROBE.listening, command: probeCommands.listeningTcp(), timeoutMs: 3000 },
  ];
  if (target.name === cp.name) return [{ node: target, probes: [...targetProbes, cpProbes[1]!] }];
  return [
    { node: target, probes: targetProbes },
    { node: cp, probes: cpProbes },
  ];
}
