import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import { SSH_ERROR_CODES, type SshErrorCode } from '../ssh/ssh-error.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { ClusterFacts, ConnectionFact, NodeFacts } from './cluster-facts.js';
import type { NodePlan } from './node-plan.js';
import { buildBundle, parseBundle } from './probe-bundle.js';
import type { ProbeOutput } from './probe-output.js';
import { planProbes } from './probe-plan.js';
import type { ProbeTransport } from './probe-transport.js';

/** SSH failures that are facts about a node (recorded, diagnosed); anything else is a bug and is thrown. */
const CONNECTION_CODES: ReadonlySet<string> = new Set(SSH_ERROR_CODES);

export interface CollectDeps {
  readonly transport: ProbeTransport;
  /** Kubernetes API facts for the target node, fetched in parallel with the SSH probes. */
  readonly kube: (targetNode: string) => Promise<KubeFacts>;
  readonly now: () => number;
  readonly isoNow: () => string;
}

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
  const [nodes, kube] = await Promise.all([
    Promise.all(plans.map((plan) => collectNode(deps, plan))),
    deps.kube(target.name),
  ]);
  return {
    target: target.name,
    controlPlane: controlPlaneNode(inventory).name,
    podNetworkCidr: inventory.cluster.podNetworkCidr,
    apiServer: inventory.cluster.apiServer,
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
    inventory: inventory.nodes.map((n) => ({ name: n.name, host: n.host, role: n.role })),
    kube,
    collectedAt: deps.isoNow(),
    durationMs: deps.now() - started,
  };
}

async function collectNode(deps: CollectDeps, plan: NodePlan): Promise<NodeFacts> {
  const { node } = plan;
  const target: SshTarget = { name: node.name, host: node.host, port: node.port };
  const base = { name: node.name, role: node.role, host: node.host };
  const connectStarted = deps.now();
  let connection: ConnectionFact;
  try {
    await deps.transport.connect(target);
    connection = { ok: true, durationMs: deps.now() - connectStarted };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) {
      const detail = (error as { detail?: string }).detail ?? (error as Error).message;
      return {
        ...base,
        connection: { ok: false, code: code as SshErrorCode, detail },
        outputs: {},
      };
    }
    throw error;
  }
  // One channel per node: the whole plan runs as one bundled script (see probe-bundle.ts).
  const bundle = buildBundle(plan.probes, plan.overlay);
  const started = deps.now();
  let outputs: ProbeOutput[] = [];
  let failure = '';
  try {
    const r = await deps.transport.exec(target, bundle.command, {
      timeoutMs: bundle.timeoutMs,
      maxOutputBytes: 16 * 1024 * 1024,
      // Read-only, so safe to run twice: a pooled connection killed by an sshd restart is not a fact.
      retryOnStaleConnection: true,
    });
    outputs = parseBundle(node.name, bundle, plan.probes, r.stdout);
    if (r.timedOut) failure = `the probe bundle timed out after ${bundle.timeoutMs} ms`;
    else if (outputs.length === 0)
      failure = `the probe bundle failed (exit ${r.exitCode}: ${r.stderr.trim().split('\n')[0] ?? ''})`;
  } catch (error) {
    // The connection broke mid-run: what did not come back is unknown; nothing is guessed.
    failure = `ssh: ${(error as { detail?: string }).detail ?? (error as Error).message}`;
  }
  const byKey = Object.fromEntries(outputs.map((o) => [o.probe, o]));
  for (const probe of plan.probes) {
    byKey[probe.key] ??= {
      probe: probe.key,
      node: node.name,
      command: probe.command.text,
      exitCode: null,
      stdout: '',
      stderr: failure || 'no output came back for this probe',
      timedOut: failure.includes('timed out'),
      truncated: false,
      durationMs: Math.round(deps.now() - started),
    };
  }
  return { ...base, connection, outputs: byKey };
}
