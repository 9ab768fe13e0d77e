import type { Inventory } from '../config/inventory.js';
import { controlPlaneNode } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { ClusterFacts, ConnectionFact, NodeFacts } from '../diagnosis/facts.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import type { ProbeOutput } from './probe-output.js';
import { type NodePlan, type PlannedProbe, planProbes } from './probe-plan.js';

export interface ProbeTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ProbeExecResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** The slice of the SSH transport the collector needs; a test can pass anything with this shape. */
export interface ProbeTransport {
  connect(target: ProbeTarget): Promise<void>;
  exec(
    target: ProbeTarget,
    command: RemoteCommand,
    opts: { timeoutMs: number; maxOutputBytes?: number },
  ): Promise<ProbeExecResult>;
}

const CONNECTION_CODES = new Set([
  'node-unreachable',
  'host-key-mismatch',
  'host-key-unknown',
  'auth-failed',
  'ssh-protocol',
]);

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
  const target: ProbeTarget = { name: node.name, host: node.host, port: node.port };
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
        connection: { ok: false, code: code as Extract<ConnectionFact, { ok: false }>['code'], detail },
        outputs: {},
      };
    }
    throw error;
  }
  const run = (probes: readonly PlannedProbe[]) =>
    Promise.all(probes.map((probe) => runProbe(deps, target, probe)));
  const first = Object.fromEntries(await run(plan.probes));
  const second = plan.followUp ? Object.fromEntries(await run(plan.followUp(first))) : {};
  return { ...base, connection, outputs: { ...first, ...second } };
}

async function runProbe(
  deps: CollectDeps,
  target: ProbeTarget,
  probe: PlannedProbe,
): Promise<[string, ProbeOutput]> {
  const probeStarted = deps.now();
  let r: ProbeExecResult;
  try {
    r = await deps.transport.exec(target, probe.command, { timeoutMs: probe.timeoutMs });
  } catch (error) {
    // The connection broke mid-run: this probe's answer is unknown; the others still count.
    const detail = (error as { detail?: string }).detail ?? (error as Error).message;
    r = {
      exitCode: null,
      stdout: '',
      stderr: `ssh: ${detail}`,
      truncated: false,
      timedOut: false,
      durationMs: deps.now() - probeStarted,
    };
  }
  const output: ProbeOutput = {
    probe: probe.key,
    node: target.name,
    command: probe.command.text,
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    timedOut: r.timedOut,
    truncated: r.truncated,
    durationMs: r.durationMs,
  };
  return [probe.key, output];
}
