import type { Inventory } from '../config/inventory.js';
import type { Clock } from '../core/clock.js';
import { type SharedRuns, sharedRuns } from '../core/shared-runs.js';
import { diagnose } from '../diagnosis/diagnose.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { KubeGateway } from '../kube/kube-gateway.js';
import type { NodeFacts } from '../probes/cluster-facts.js';
import { type CollectDeps, collectFacts } from '../probes/collect-facts.js';
import type { PeerMemory } from '../probes/collect-nodes.js';
import type { ProbeTransport } from '../probes/probe-transport.js';
import { RoundTrips } from '../probes/round-trips.js';
import { bystandersToProbe, decidedByTarget, heldBack } from '../worker/bystanders.js';
import { COALESCE_WINDOW_MS, createNodeDiagnoser, type NodeDiagnoser } from '../worker/diagnose-node.js';

/**
 * How a worker looks at nodes: the collector's dependencies (every collection its own, as the
 * executor's check after a fix and preflight need) and the diagnoser, whose shared looks may share
 * with the runs of other targets a node's collection where they plan the same probes of it, and the
 * API server's answers (the same call made within the window: core/shared-runs.ts).
 */
export function workerDiagnoser(deps: {
  readonly inventory: Inventory;
  readonly transport: ProbeTransport;
  readonly kube: KubeGateway | undefined;
  readonly clock: Clock;
}): { collectDeps: CollectDeps; nodes: NodeDiagnoser } {
  const { inventory, transport, kube, clock } = deps;
  const window = { windowMs: COALESCE_WINDOW_MS, monotonicMs: clock.monotonicMs };
  /** The API server's facts for a target; with `shared`, calls made together are made once. */
  const kubeFacts =
    (shared?: SharedRuns<unknown>) =>
    (node: string, giveUp?: Promise<string>): Promise<KubeFacts> =>
      kube ? kube.fetch(node, giveUp, shared) : Promise.resolve({ status: 'disabled' });
  const collectDeps = {
    transport,
    kube: kubeFacts(),
    kubeRoundTrip: () => kube?.nodeListMs(),
    // Round trips seen, for the probes' waits (probes/probe-deadline.ts).
    roundTrips: new RoundTrips(),
    // Nodes whose last bundle was cut, and when: a later one clears what it left behind.
    cutBundles: new Map<string, number>(),
    // The peers a diagnosis probes and waits for (worker/bystanders.ts), and per target what its
    // last diagnosis learnt about them.
    peers: {
      candidates: bystandersToProbe,
      decidedByTarget,
      heldBack,
      memory: new Map<string, PeerMemory>(),
      lastSeen: async () => kube?.lastSeen(),
    },
    // Durations only: a monotonic reading, never compared with the wall clock.
    now: clock.monotonicMs,
    isoNow: clock.isoNow,
  };
  const sharedDeps: CollectDeps = {
    ...collectDeps,
    shared: sharedRuns<NodeFacts>(window),
    kube: kubeFacts(sharedRuns<unknown>(window)),
  };
  const nodes = createNodeDiagnoser({
    inventory,
    collect: (target, { fresh }) => collectFacts(fresh ? collectDeps : sharedDeps, inventory, target),
    diagnose,
    monotonicMs: clock.monotonicMs,
  });
  return { collectDeps, nodes };
}
