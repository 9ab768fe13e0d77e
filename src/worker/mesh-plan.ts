import type { Auditor } from '../audit/audit-event.js';
import type { Inventory } from '../config/inventory.js';
import type { MeshNode } from '../diagnosis/mesh/mesh-matrix.js';
import type { KubeNode } from '../kube/kube-facts.js';
import { type MeshPeer, overlayAddresses } from '../probes/mesh-targets.js';
import type { MeshJobData, MeshProbeJobData, MeshReportJobData } from '../queue/job-types.js';
import { zoneRouting } from '../queue/zone-routing.js';

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
  /** The live workers of a zone (undefined: the default queue), ZoneLiveness.liveWorkers. */
  readonly liveWorkers: (zone: string | undefined) => Promise<readonly string[]>;
}

/** A chunk's sources and their zone, before the peers and addresses are attached. */
export interface MeshChunkPlan {
  readonly zone: string | undefined;
  readonly sources: readonly string[];
}

/** Why a source has no chunk: the words the thread shows (same advice as accept-command's). */
export const unservedReason = (zone: string | undefined): string =>
  zone
    ? `no live worker in zone ${zone} (start one with NETCHECK_ZONE=${zone})`
    : 'no live worker without a zone (start one without NETCHECK_ZONE)';

/**
 * Pure: sources grouped by zone (in first-seen order), chunked within each zone, so that a chunk
 * only ever goes to its zone's workers. A zone not served gets no chunk: its sources are unserved.
 */
export function meshChunks(
  sources: readonly string[],
  zoneOf: (node: string) => string | undefined,
  served: (zone: string | undefined) => boolean,
  size = MESH_CHUNK_SOURCES,
): { chunks: MeshChunkPlan[]; unserved: Record<string, string> } {
  const byZone = new Map<string | undefined, string[]>();
  for (const name of sources) {
    const zone = zoneOf(name);
    byZone.set(zone, [...(byZone.get(zone) ?? []), name]);
  }
  const chunks: MeshChunkPlan[] = [];
  const unserved: Record<string, string> = {};
  for (const [zone, names] of byZone) {
    if (!served(zone)) {
      for (const name of names) unserved[name] = unservedReason(zone);
      continue;
    }
    for (let k = 0; k < names.length; k += size) chunks.push({ zone, sources: names.slice(k, k + size) });
  }
  return { chunks, unserved };
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
  // Zones are asked once each, now: a zone with no live worker is reported, not waited for.
  const { zoneOf } = zoneRouting(deps.inventory);
  const zones = [...new Set(nodes.map((n) => zoneOf(n.name)))];
  const live = new Set(
    (await Promise.all(zones.map(async (z) => ((await deps.liveWorkers(z)).length > 0 ? [z] : [])))).flat(),
  );
  const plan = meshChunks(
    nodes.map((n) => n.name),
    zoneOf,
    (z) => live.has(z),
  );
  const chunks: MeshProbeJobData[] = plan.chunks.map((c, k) => ({
    runId: job.runId,
    chunk: k,
    zone: c.zone,
    sources: c.sources,
    peers,
    apiServer: { host: api.host, port: api.port },
    overlayUnknown,
  }));
  const unserved = Object.keys(plan.unserved);
  const meshNodes: MeshNode[] = nodes.map((n) => ({ name: n.name, role: n.role }));
  await deps.audit.record({
    type: 'run.started',
    actor: 'netcheck',
    runId: job.runId,
    summary: `mesh of ${nodes.length} nodes for <@${job.requestedBy}>: ${chunks.length} chunk jobs, podCIDRs from ${kube?.from ?? 'nowhere (overlay unknown)'}${unserved.length > 0 ? `; not probed from (no live worker in their zone): ${unserved.join(', ')}` : ''}`,
    data: { nodes: nodes.map((n) => n.name), ...(unserved.length > 0 ? { unserved: plan.unserved } : {}) },
  });
  await deps.addFlow(
    {
      runId: job.runId,
      nodes: meshNodes,
      requestedBy: job.requestedBy,
      channel: job.channel,
      requestedAt: job.requestedAt,
      ...(unserved.length > 0 ? { unserved: plan.unserved } : {}),
    },
    chunks,
  );
  return chunks.length;
}
