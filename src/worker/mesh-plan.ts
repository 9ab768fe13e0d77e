import type { Auditor } from '../audit/audit-event.js';
import type { Inventory } from '../config/inventory.js';
import type { MeshNode } from '../diagnosis/mesh/mesh-matrix.js';
import type { KubeNode } from '../kube/kube-facts.js';
import { type MeshPeer, overlayAddresses } from '../probes/mesh-targets.js';
import type { MeshJobData, MeshProbeJobData, MeshReportJobData } from '../queue/job-types.js';

/** Sources per chunk job: 100 nodes are 9 jobs, spread over the workers' mesh concurrency. */
export const MESH_CHUNK_SOURCES = 12;

/** Chunk jobs a worker runs at once: every chunk of a 200-node mesh in one wave (a lost packet costs a source the whole deadline; waves would add those up). */
export const MESH_CHUNK_CONCURRENCY = 17;

export interface MeshPlanDeps {
  readonly inventory: Inventory;
  /** Every node's podCIDR, from the API server or its last answer; undefined without either. */
  readonly kubeNodes: () => Promise<{ nodes: readonly KubeNode[]; from: 'api' | 'cache' } | undefined>;
  readonly addFlow: (report: MeshReportJobData, chunks: readonly MeshProbeJobData[]) => Promise<void>;
  readonly audit: Auditor;
}

/**
 * A mesh's first step on a worker: who probes whom at which addresses. The overlay addresses come
 * from each node's podCIDR (flannel.1 has the subnet's .0, cni0 its .1), from the API server, or
 * from the last node list it gave when it is down; nodes without one have unknown overlay cells.
 */
export async function planMesh(deps: MeshPlanDeps, job: MeshJobData): Promise<number> {
  const nodes = job.nodes.map((name) => {
    const node = deps.inventory.nodes.find((n) => n.name === name);
    if (!node)
      throw Object.assign(
        new Error(
          `node ${name} is not in this worker's inventory (${deps.inventory.sourcePath}); give the bot and the worker the same inventory`,
        ),
        { code: 'unknown-node' },
      );
    return node;
  });
  const kube = await deps.kubeNodes().catch(() => undefined);
  const byName = new Map((kube?.nodes ?? []).map((n) => [n.name, n]));
  const peers: MeshPeer[] = nodes.map((n) => ({
    name: n.name,
    host: n.host,
    ...overlayAddresses(byName.get(n.name)?.podCIDR),
  }));
  const overlayUnknown = kube ? 'no-podcidr-in-api' : 'api-and-cache-unavailable';
  const api = deps.inventory.cluster.apiServer;
  const chunks: MeshProbeJobData[] = [];
  for (let k = 0; k * MESH_CHUNK_SOURCES < nodes.length; k++) {
    chunks.push({
      runId: job.runId,
      chunk: k,
      sources: nodes.slice(k * MESH_CHUNK_SOURCES, (k + 1) * MESH_CHUNK_SOURCES).map((n) => n.name),
      peers,
      apiServer: { host: api.host, port: api.port },
      overlayUnknown,
    });
  }
  const meshNodes: MeshNode[] = nodes.map((n) => ({ name: n.name, role: n.role }));
  await deps.audit.record({
    type: 'run.started',
    actor: 'netcheck',
    runId: job.runId,
    summary: `mesh of ${nodes.length} nodes for <@${job.requestedBy}>: ${chunks.length} chunk jobs, podCIDRs from ${kube?.from ?? 'nowhere (overlay unknown)'}`,
    data: { nodes: nodes.map((n) => n.name) },
  });
  await deps.addFlow(
    {
      runId: job.runId,
      nodes: meshNodes,
      requestedBy: job.requestedBy,
      channel: job.channel,
      requestedAt: job.requestedAt,
    },
    chunks,
  );
  return chunks.length;
}
