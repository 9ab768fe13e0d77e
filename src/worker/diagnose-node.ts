import { findNode, type Inventory } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import { sharedRuns } from '../core/shared-runs.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { ClusterFacts } from '../probes/cluster-facts.js';

export interface DiagnoseNodeDeps {
  /** This worker's inventory: the only nodes it may probe. */
  readonly inventory: Inventory;
  /** Runs the probes for the target node and its peers; a failed SSH connection is a fact, not an error. */
  readonly collect: (target: InventoryNode, opts: CollectOptions) => Promise<ClusterFacts>;
  readonly diagnose: (facts: ClusterFacts) => DiagnosisReport;
  /**
   * A monotonic clock (ms). With it, identical probe runs of one node that start within
   * `coalesceWindowMs` of a run still in flight share that run (see `diagnoseShared`).
   */
  readonly monotonicMs?: () => number;
  readonly coalesceWindowMs?: number;
}

export interface CollectOptions {
  /**
   * Every node's probes run for this look alone (the executor's check after a fix: what it sees
   * must come after the fix). Otherwise a node's collection may be shared with other targets' runs
   * that need the very same probes of it (a peer's bundle), on the same terms as `diagnoseShared`.
   */
  readonly fresh: boolean;
}

/** How long after a run of a node started a new request for the same node may still join it. */
export const COALESCE_WINDOW_MS = 500;

/** What was seen and what was concluded. */
export interface NodeDiagnosis {
  readonly facts: ClusterFacts;
  readonly report: DiagnosisReport;
}

/**
 * "Collect and diagnose a node by name": the one way a worker looks at a node, shared by a probe
 * run and by the executor's check after a fix. Lookup and probing are separate so a caller can stop
 * on an unknown node before it does anything else (the probe run audits only runs that start).
 */
export interface NodeDiagnoser {
  /** The node's inventory entry; throws `unknown-node` when this worker's inventory lacks it. */
  resolve(name: string): InventoryNode;
  /**
   * Probes the node and diagnoses it: always a run of its own, on every node it probes (the
   * executor's check after a fix).
   */
  diagnose(node: InventoryNode): Promise<NodeDiagnosis>;
  /**
   * The same, but joins a run of the same node that is still in flight and started at most
   * `coalesceWindowMs` ago: 50 people typing `/netcheck node-3` during an incident need one look
   * at node-3, not 50 (each still gets its own report, plan and audit trail from the caller).
   * A run that started earlier than the window is not joined, so no report is older than that:
   * the request gets the node's next run, which starts as soon as that one ends and which every
   * request arriving meanwhile shares (core/shared-runs.ts). So a node has at most one run in
   * flight and one waiting, however many requests come: under a burst, overlapping runs of one node
   * only slow each other. Its peers' probes, the same for every target, are shared on the same terms
   * with the runs of other targets (`CollectOptions`).
   */
  diagnoseShared(node: InventoryNode): Promise<NodeDiagnosis>;
  /** `resolve` then `diagnose`. */
  diagnoseByName(name: string): Promise<NodeDiagnosis>;
}

export function createNodeDiagnoser(deps: DiagnoseNodeDeps): NodeDiagnoser {
  const resolve = (name: string): InventoryNode => {
    const node = findNode(deps.inventory, name);
    if (!node)
      // The bot checked the name against its inventory; a worker with a different inventory file lands here.
      throw Object.assign(
        new Error(
          `node ${name} is not in this worker's inventory (${deps.inventory.sourcePath}); give the bot and the worker the same inventory`,
        ),
        { code: 'unknown-node' },
      );
    return node;
  };
  const look = async (node: InventoryNode, opts: CollectOptions): Promise<NodeDiagnosis> => {
    const facts = await deps.collect(node, opts);
    return { facts, report: deps.diagnose(facts) };
  };
  const diagnose = (node: InventoryNode) => look(node, { fresh: true });
  const now = deps.monotonicMs;
  const shared = now
    ? sharedRuns<NodeDiagnosis>({ windowMs: deps.coalesceWindowMs ?? COALESCE_WINDOW_MS, monotonicMs: now })
    : undefined;
  const diagnoseShared = (node: InventoryNode): Promise<NodeDiagnosis> =>
    shared ? shared.run(node.name, () => look(node, { fresh: false })) : diagnose(node);
  return { resolve, diagnose, diagnoseShared, diagnoseByName: async (name) => diagnose(resolve(name)) };
}
