import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { SharedRuns } from '../core/shared-runs.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { ClusterFacts, NodeFacts } from './cluster-facts.js';
import { collectNodes, type PeerChoice } from './collect-nodes.js';
import { watchNetworkFrames } from './network-frames.js';
import { connectAsFact, missingOutput } from './node-connection.js';
import type { NodePlan } from './node-plan.js';
import { PING_VERSION, pingWaitsInTool } from './ping-flavor.js';
import { type BundledProbe, buildBundle, LEFTOVER_AGE_MIN, parseBundle } from './probe-bundle.js';
import { kubeWait, type NetworkWaits, networkWaits } from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';
import { planProbes } from './probe-plan.js';
import { isOverlayProbeKey, isPingProbeKey } from './probe-registry.js';
import type { ProbeTransport } from './probe-transport.js';
import type { RoundTrips } from './round-trips.js';
import { undecided } from './undecided-probes.js';

export interface CollectDeps {
  readonly transport: ProbeTransport;
  /**
   * Kubernetes API facts for the target node, fetched in parallel with the SSH probes. `giveUp`
   * settles (with the reason) when the round trips seen say the API server's answer is overdue.
   */
  readonly kube: (targetNode: string, giveUp?: Promise<string>) => Promise<KubeFacts>;
  readonly now: () => number;
  readonly isoNow: () => string;
  /** The API server's last answer time (ms), if known: evidence for how long to wait for it. */
  readonly kubeRoundTrip?: () => number | undefined;
  /** Round trips seen so far; without it every network probe keeps its fixed wait. */
  readonly roundTrips?: RoundTrips;
  /**
   * Where a node's collection may be shared with other runs that plan the very same probes of it
   * (a peer's bundle is the same whatever the target): keyed by the plan (`planKey`). Without it
   * every collection is this run's own, as the executor's check after a fix needs.
   */
  readonly shared?: SharedRuns<NodeFacts>;
  /**
   * Per node, when (`now`) its last cut bundle (timed out, or its channel lost) ended. The node's
   * first bundle once what that bundle may have left is old enough to be told from a running one
   * removes such leftovers from its temporary directory (probe-bundle.ts, LEFTOVERS).
   */
  readonly cutBundles?: Map<string, number>;
  /**
   * Which of the target's peers a diagnosis probes, and which it waits for (collect-nodes.ts; the
   * worker's choice: worker/bystanders.ts). Without it every peer is probed, all at once.
   */
  readonly peers?: PeerChoice;
}

/** After a cut bundle, how long until the node's next bundle removes leftovers (their age, and a minute). */
export const SWEEP_AFTER_CUT_MS = (LEFTOVER_AGE_MIN + 1) * 60_000;

/**
 * Runs the probe plan: every node in parallel, every probe of a node concurrently over its one
 * pooled connection (the transport caps the channels). A failed SSH connection is a fact, not an error.
 */
export async function collectFacts(
  deps: CollectDeps,
  inventory: Inventory,
  target: InventoryNode,
): Promise<ClusterFacts> {
  const started = deps.now();
  const plans = planProbes(inventory, target);
  let giveUp: (why: string) => void = () => undefined;
  const overdue = new Promise<string>((resolve) => {
    giveUp = resolve;
  });
  const kubeStarted = deps.now();
  const kubeFacts = deps.kube(target.name, deps.roundTrips ? overdue : undefined);
  const cp = controlPlaneNode(inventory);
  const partial = (nodes: readonly NodeFacts[], kube: KubeFacts): ClusterFacts => ({
    target: target.name,
    controlPlane: cp.name,
    podNetworkCidr: inventory.cluster.podNetworkCidr,
    apiServer: inventory.cluster.apiServer,
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
    inventory: inventory.nodes.map((n) => ({ name: n.name, host: n.host, role: n.role })),
    kube,
    collectedAt: deps.isoNow(),
    durationMs: deps.now() - started,
  });
  const run = (plan: NodePlan, onNetwork?: (facts: NodeFacts) => void) => {
    const facts = deps.shared
      ? deps.shared.run(planKey(plan), () => collectNode(deps, plan, onNetwork))
      : collectNode(deps, plan, onNetwork);
    // Awaited later, or not at all (a peer the diagnosis turned out not to need); a run that throws
    // (a bug, not a node's state) must never be an unhandled rejection.
    facts.catch(() => undefined);
    return facts;
  };
  // The API server's answer is waited for only as long as the round trips seen (its earlier
  // answers, the SSH handshake with the control plane) call for, from the start of the call. Armed
  // now with what is known (a warm worker knows both), so that a silent API server is given up on
  // while the nodes are still probed, and the peers to probe are judged on the last node list
  // seen; armed again once the SSH facts are in, with the control plane's handshake if it was new.
  // The first to fire wins.
  const giveUpWhenOverdue = () => {
    const wait = kubeWait(
      deps.kubeRoundTrip?.(),
      deps.transport.handshakeMs?.({ name: cp.name, host: cp.host, port: cp.port }),
    );
    return setTimeout(
      () =>
        giveUp(`the API server did not answer within ${wait} ms (its round trips seen so far call for less)`),
      Math.max(0, wait - (deps.now() - kubeStarted)),
    );
  };
  const timers = [giveUpWhenOverdue()];
  try {
    const nodes = await collectNodes({ run, partial }, plans, cp.name, kubeFacts, deps.peers);
    timers.push(giveUpWhenOverdue());
    return partial(nodes, await kubeFacts);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

/** `onNetwork`: called once with the node's facts so far, its first bundle's network probes. */
async function collectNode(
  deps: CollectDeps,
  plan: NodePlan,
  onNetwork?: (facts: NodeFacts) => void,
): Promise<NodeFacts> {
  const { node } = plan;
  const target: SshTarget = { name: node.name, host: node.host, port: node.port };
  const base = { name: node.name, role: node.role, host: node.host };
  const connection = await connectAsFact(deps.transport, target, deps.now);
  if (!connection.ok) return { ...base, connection, outputs: {} };
  // The waits its network probes get, from the round trips seen so far (probe-deadline.ts), and
  // whether its ping keeps its own (asked once per connection where the node pings: ping-flavor.ts).
  const handshakeMs = deps.transport.handshakeMs?.(target);
  const pingInTool = deps.roundTrips?.pingInTool(node.name, handshakeMs);
  const askPing = deps.roundTrips !== undefined && pingInTool === undefined && pingsFrom(plan);
  const estimate = deps.roundTrips?.estimate(node.name, handshakeMs, deps.transport.connectRttMs?.(target));
  let waits = networkWaits(estimate, pingInTool === true);
  const started = deps.now();
  const ask = askPing ? networkWaits(estimate, true) : undefined;
  const early =
    onNetwork &&
    ((first: ProbeOutput[]) =>
      onNetwork({ ...base, connection, outputs: Object.fromEntries(first.map((o) => [o.probe, o])) }));
  let { outputs, failure } = await runBundle(deps, target, plan.probes, plan.overlay, waits, ask, early);
  if (ask) {
    // The bundle's shell asked the node's ping and chose the pings' waits by the answer.
    const answer = outputs.find((o) => o.probe === PING_VERSION.key);
    deps.roundTrips?.learnPing(node.name, answer, handshakeMs);
    if (pingWaitsInTool(answer)) waits = ask;
    outputs = outputs.filter((o) => o.probe !== PING_VERSION.key);
  }
  let rerun: string[] = [];
  let rerunWaits: NetworkWaits | undefined;
  const network = new Set<string>(plan.probes.filter((p) => !p.quick).map((p) => p.key));
  const isNetwork = (key: string) => network.has(key) || isOverlayProbeKey(key);
  if (waits && !failure) {
    // The evidence of this very bundle may call for longer waits (a slow but healthy path): the
    // probes it does not decide run again, together, with the waits it calls for (at most today's).
    const open = undecided(outputs, isNetwork, waits);
    const again = new Set<string>(open.probes);
    rerun = [...again];
    rerunWaits = open.waits;
    if (again.size > 0) {
      const overlay = [...again].some(isOverlayProbeKey) ? plan.overlay : undefined;
      const probes = plan.probes.filter((p) => again.has(p.key));
      const second = await runBundle(deps, target, probes, overlay, open.waits);
      // The cut answers are replaced, or dropped when the follow-up failed: undecided is not "no answer".
      outputs = [
        ...outputs.filter((o) => !again.has(o.probe) && !(overlay && isOverlayProbeKey(o.probe))),
        ...second.outputs,
      ];
      failure = second.failure;
    }
  }
  deps.roundTrips?.learn(
    node.name,
    outputs.filter((o) => isNetwork(o.probe)),
  );
  const byKey = Object.fromEntries(outputs.map((o) => [o.probe, o]));
  for (const probe of plan.probes)
    byKey[probe.key] ??= missingOutput(probe, node.name, failure, deps.now() - started);
  return {
    ...base,
    connection,
    outputs: byKey,
    ...(waits ? { waits: { ...waits, rerun, ...(rerunWaits ? { rerunWaits } : {}) } } : {}),
  };
}

/** What makes two plans of a node the same: the node's address and every probe as it would run. */
export function planKey(plan: NodePlan): string {
  const { name, host, port } = plan.node;
  return JSON.stringify([name, host, port, plan.overlay ?? null, plan.probes]);
}

/** Whether the plan has the node ping anything (its overlay peers, its peers, the control plane). */
const pingsFrom = (plan: NodePlan): boolean =>
  plan.overlay !== undefined || plan.probes.some((p) => isPingProbeKey(p.key));

/** One bundle over the node's pooled connection; what did not come back is left out, with why. */
async function runBundle(
  deps: CollectDeps,
  target: SshTarget,
  probes: readonly BundledProbe[],
  overlay: NodePlan['overlay'],
  waits: NetworkWaits | undefined,
  askPing?: NetworkWaits,
  /** Called once with the network probes' outputs, as soon as they are in (network-frames.ts). */
  onNetwork?: (outputs: ProbeOutput[]) => void,
): Promise<{ outputs: ProbeOutput[]; failure: string }> {
  // One channel per node: the whole plan runs as one bundled script (see probe-bundle.ts).
  const lastCut = deps.cutBundles?.get(target.name);
  const sweep = lastCut !== undefined && deps.now() - lastCut >= SWEEP_AFTER_CUT_MS;
  const bundle = buildBundle(probes, overlay, waits, askPing, sweep);
  let outputs: ProbeOutput[] = [];
  let failure = '';
  let cut = true;
  try {
    const r = await deps.transport.exec(target, bundle.command, {
      timeoutMs: bundle.timeoutMs,
      maxOutputBytes: 16 * 1024 * 1024,
      // Read-only, so safe to run twice: a pooled connection killed by an sshd restart is not a fact.
      retryOnStaleConnection: true,
      lastLine: bundle.lastLine,
      ...(onNetwork ? { onStdout: watchNetworkFrames(target.name, bundle, probes, onNetwork) } : {}),
    });
    outputs = parseBundle(target.name, bundle, probes, r.stdout);
    cut = r.timedOut || r.exitCode === null;
    if (r.timedOut) failure = `the probe bundle timed out after ${bundle.timeoutMs} ms`;
    else if (outputs.length === 0)
      failure = `the probe bundle failed (exit ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''})`;
  } catch (error) {
    // The connection broke mid-run: what did not come back is unknown; nothing is guessed.
    failure = `ssh: ${(error as { detail?: string }).detail ?? (error as Error).message}`;
  }
  if (cut) deps.cutBundles?.set(target.name, deps.now());
  else if (sweep) deps.cutBundles?.delete(target.name);
  return { outputs, failure };
}
