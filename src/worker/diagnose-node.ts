import { findNode, type Inventory } from '../config/inventory.js';
import type { InventoryNode } from '../config/inventory-schema.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { ClusterFacts } from '../probes/cluster-facts.js';

export interface DiagnoseNodeDeps {
  /** This worker's inventory: the only nodes it may probe. */
  readonly inventory: Inventory;
  /** Runs the probes for the target node and its peers; a failed SSH connection is a fact, not an error. */
  readonly collect: (target: InventoryNode) => Promise<ClusterFacts>;
  readonly diagnose: (facts: ClusterFacts) => DiagnosisReport;
}

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
  /** Probes the node and diagnoses it. */
  diagnose(node: InventoryNode): Promise<NodeDiagnosis>;
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
  const diagnose = async (node: InventoryNode): Promise<NodeDiagnosis> => {
    const facts = await deps.collect(node);
    return { facts, report: deps.diagnose(facts) };
  };
  return { resolve, diagnose, diagnoseByName: async (name) => diagnose(resolve(name)) };
}
