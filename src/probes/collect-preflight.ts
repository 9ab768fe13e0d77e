import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { NodeFacts } from './cluster-facts.js';
import { connectAsFact, missingOutput } from './node-connection.js';
import { type PreflightNodePlan, planPreflight, preflightCommands } from './preflight-plan.js';
import { buildBundle, parseBundle } from './probe-bundle.js';
import type { ProbeOutput } from './probe-output.js';
import type { ProbeTransport } from './probe-transport.js';

/** The candidate's clock next to the worker's: two wall-clock readings around one `date`. */
export interface ClockReading {
  readonly sentAtMs: number;
  readonly receivedAtMs: number;
  readonly output: ProbeOutput;
}

/** Everything one preflight learnt: plain data, replayable as a fixture like ClusterFacts. */
export interface PreflightFacts {
  readonly candidate: string;
  readonly controlPlane: string;
  readonly podNetworkCidr: string;
  readonly apiServer: { readonly url: string; readonly host: string; readonly port: number };
  readonly inventory: readonly { readonly name: string; readonly host: string; readonly role: string }[];
  readonly nodes: Readonly<Record<string, NodeFacts>>;
  readonly clock: ClockReading | undefined;
  readonly kube: KubeFacts;
  readonly collectedAt: string;
  readonly durationMs: number;
}

export interface PreflightCollectDeps {
  readonly transport: ProbeTransport;
  readonly kube: (node: string) => Promise<KubeFacts>;
  /** Monotonic, for durations. */
  readonly now: () => number;
  /** The worker's wall clock (ms since the epoch), for the clock comparison only. */
  readonly wallNow: () => number;
  readonly isoNow: () => string;
}

/** Runs a preflight's plan: every node in parallel, one bundled SSH channel each (probe-bundle.ts). */
export async function collectPreflight(
  deps: PreflightCollectDeps,
  inventory: Inventory,
  candidate: InventoryNode,
  nonce: string,
): Promise<PreflightFacts> {
  const started = deps.now();
  const plans = planPreflight(inventory, candidate, nonce);
  const [nodes, kube] = await Promise.all([
    Promise.all(plans.map((plan) => collectNode(deps, plan))),
    deps.kube(candidate.name),
  ]);
  const byName = Object.fromEntries(nodes.map((n) => [n.facts.name, n]));
  return {
    candidate: candidate.name,
    controlPlane: controlPlaneNode(inventory).name,
    podNetworkCidr: inventory.cluster.podNetworkCidr,
    apiServer: inventory.cluster.apiServer,
    inventory: inventory.nodes.map((n) => ({ name: n.name, host: n.host, role: n.role })),
    nodes: Object.fromEntries(nodes.map((n) => [n.facts.name, n.facts])),
    clock: byName[candidate.name]?.clock,
    kube,
    collectedAt: deps.isoNow(),
    durationMs: deps.now() - started,
  };
}

async function collectNode(
  deps: PreflightCollectDeps,
  plan: PreflightNodePlan,
): Promise<{ facts: NodeFacts; clock: ClockReading | undefined }> {
  const { node } = plan;
  const target: SshTarget = { name: node.name, host: node.host, port: node.port };
  const base = { name: node.name, role: node.role, host: node.host };
  const connection = await connectAsFact(deps.transport, target, deps.now);
  if (!connection.ok) return { facts: { ...base, connection, outputs: {} }, clock: undefined };
  const bundle = buildBundle(plan.probes, undefined);
  const started = deps.now();
  // The clock is read on its own, on the warm connection, before the bundle: its round trip is
  // the error bound of the comparison, so it must not wait behind other probes.
  const clockCommand = preflightCommands.clock();
  const sentAtMs = deps.wallNow();
  const clockRun = await deps.transport
    .exec(target, clockCommand, { timeoutMs: 3000, retryOnStaleConnection: true })
    .catch(() => undefined);
  const receivedAtMs = deps.wallNow();
  const clock: ClockReading | undefined = clockRun && {
    sentAtMs,
    receivedAtMs,
    output: {
      probe: 'clock',
      node: node.name,
      command: clockCommand.text,
      exitCode: clockRun.exitCode,
      stdout: clockRun.stdout.slice(0, 200),
      stderr: clockRun.stderr.slice(0, 500),
      timedOut: clockRun.timedOut,
      truncated: false,
      durationMs: receivedAtMs - sentAtMs,
    },
  };
  let outputs: ProbeOutput[] = [];
  let failure = '';
  try {
    const r = await deps.transport.exec(target, bundle.command, {
      timeoutMs: bundle.timeoutMs,
      maxOutputBytes: 4 * 1024 * 1024,
      retryOnStaleConnection: true,
      lastLine: bundle.lastLine,
    });
    outputs = parseBundle(node.name, bundle, plan.probes, r.stdout);
    if (r.timedOut) failure = `the preflight bundle timed out after ${bundle.timeoutMs} ms`;
    else if (outputs.length === 0)
      failure = `the preflight bundle failed (exit ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''})`;
  } catch (error) {
    failure = `ssh: ${(error as { detail?: string }).detail ?? (error as Error).message}`;
  }
  const byKey: Record<string, ProbeOutput> = Object.fromEntries(outputs.map((o) => [o.probe, o]));
  for (const probe of plan.probes)
    byKey[probe.key] ??= missingOutput(probe, node.name, failure, deps.now() - started);
  return { facts: { ...base, connection, outputs: byKey }, clock };
}
