import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { NodePlan, PlannedProbe } from './node-plan.js';
import {
  PEER_PROBES,
  PROBES,
  type ProbeContext,
  type ProbeKey,
  type ProbeSite,
  peerProbeKey,
} from './probe-registry.js';

const REGISTRY = Object.entries(PROBES) as [ProbeKey, (typeof PROBES)[ProbeKey]][];

function planned(sites: readonly ProbeSite[], ctx: ProbeContext): PlannedProbe[] {
  return REGISTRY.filter(([, spec]) => spec.runsOn.some((s) => sites.includes(s))).map(([key, spec]) => ({
    key,
    command: spec.command(ctx),
    timeoutMs: spec.timeoutMs,
    quick: spec.quick,
    ...('selfTimed' in spec ? { selfTimed: spec.selfTimed } : {}),
    ...('sameAs' in spec ? { sameAs: spec.sameAs } : {}),
    ...('cost' in spec ? { cost: spec.cost } : {}),
  }));
}

/**
 * Which read-only probes run where to diagnose `target` (the registry's `runsOn`): the full set on
 * the target; the server side on the control plane; on every other node the few facts needed to
 * attribute a fault to it (its filter rules and its flannel.1).
 */
export function planProbes(inventory: Inventory, target: InventoryNode): NodePlan[] {
  const cp = controlPlaneNode(inventory);
  const ctx: ProbeContext = {
    controlPlaneHost: cp.host,
    apiServerLivez: `${inventory.cluster.apiServer.url.replace(/\/$/, '')}/livez`,
    apiServerHost: inventory.cluster.apiServer.host,
    apiServerPort: inventory.cluster.apiServer.port,
  };
  const peers = inventory.nodes.filter((n) => n.name !== target.name);
  const roleSites = (node: InventoryNode): ProbeSite[] => (node.name === cp.name ? ['control-plane'] : []);

  const perPeer = peers
    .filter((p) => p.name !== cp.name)
    .flatMap((p) =>
      (['ping-node', 'tcp-node'] as const).map((kind) => ({
        key: peerProbeKey(kind, p.name),
        command: PEER_PROBES[kind].command(p.host),
        timeoutMs: PEER_PROBES[kind].timeoutMs,
        selfTimed: PEER_PROBES[kind].selfTimed,
      })),
    );
  // Order is kept stable (target probes, per-peer probes, then the control plane's), because it
  // sets the order outputs come back in and so the order checks are listed in a report.
  const onTarget = planned(['target'], ctx);
  const targetKeys = new Set(onTarget.map((p) => p.key));
  const byRole = planned(roleSites(target), ctx).filter((p) => !targetKeys.has(p.key));

  const plans: NodePlan[] = [
    {
      node: target,
      probes: [...onTarget, ...perPeer, ...byRole],
      overlay: { maxPeers: peers.length, timeoutMs: PEER_PROBES['overlay-ping'].timeoutMs },
    },
  ];
  for (const peer of peers) plans.push({ node: peer, probes: planned(['peer', ...roleSites(peer)], ctx) });
  return plans;
}
