import type { Auditor } from '../audit/audit-event.js';
import type { Clock } from '../core/clock.js';
import { analyzeMesh } from '../diagnosis/mesh/mesh-analysis.js';
import { encodeCell, type MeshMatrix } from '../diagnosis/mesh/mesh-matrix.js';
import { MESH_PROBES, type MeshProbe } from '../probes/mesh-targets.js';
import type {
  MeshChunkResult,
  MeshReportJobData,
  MeshResult,
  OutboxMessage,
  ProbeJobData,
} from '../queue/job-types.js';

export interface MeshReportDeps {
  readonly enqueueOutbox: (...messages: OutboxMessage[]) => Promise<void>;
  readonly enqueueProbe: (data: ProbeJobData) => Promise<void>;
  /** Creates the culprit's run record (once): it posts into the mesh's thread. */
  readonly createChildRun: (run: {
    runId: string;
    node: string;
    channel: string;
    requestedBy: string;
    createdAt: string;
    parentRun: string;
  }) => Promise<void>;
  readonly audit: Auditor;
  readonly clock: Pick<Clock, 'now' | 'isoNow'>;
}

/** The child run of a mesh's culprit: fixed per mesh and node, so a re-run adds nothing twice. */
export const culpritRunId = (meshRunId: string, index: number): string => `${meshRunId}-c${index}`;

/**
 * A mesh's last step: the chunks' rows into one matrix, the analysis, the summary and the files
 * for the thread, then the single-node diagnosis of each culprit (at most MAX_CULPRITS), whose
 * reports and fix plans arrive in the same thread exactly as `/netcheck <node>` posts them.
 */
export async function reportMesh(
  deps: MeshReportDeps,
  job: MeshReportJobData,
  chunks: readonly MeshChunkResult[],
): Promise<MeshResult> {
  const matrix = assemble(job, chunks, deps.clock.now() - Date.parse(job.requestedAt));
  const analysis = analyzeMesh(matrix);
  const result: MeshResult = { matrix, analysis, requestedBy: job.requestedBy, at: deps.clock.isoNow() };
  await deps.audit.record({
    type: 'mesh.finished',
    actor: 'netcheck',
    runId: job.runId,
    summary: `mesh of ${matrix.nodes.length} nodes: ${analysis.verdict} — ${analysis.headline}${analysis.culprits.length > 0 ? `; diagnosing ${analysis.culprits.join(', ')}` : ''}`,
    data: {
      verdict: analysis.verdict,
      counts: analysis.counts,
      findings: analysis.findings.map((f) => ({ kind: f.kind, nodes: f.nodes, planes: f.planes })),
      culprits: analysis.culprits,
      unreachable: matrix.unreachable,
      ...(matrix.unserved ? { unserved: matrix.unserved } : {}),
      // Who probed which sources: a chunk runs only on a worker of its zone.
      chunks: chunks.map((c) => ({
        worker: c.worker?.id ?? null,
        zone: c.worker?.zone ?? null,
        sources: [...Object.keys(c.rows), ...Object.keys(c.unreachable)],
      })),
      durationMs: matrix.durationMs,
    },
  });
  await deps.enqueueOutbox(
    { kind: 'mesh-summary', runId: job.runId, result },
    { kind: 'mesh-files', runId: job.runId, result },
  );
  for (const [index, node] of analysis.culprits.entries()) {
    const runId = culpritRunId(job.runId, index);
    const createdAt = deps.clock.isoNow();
    await deps.createChildRun({
      runId,
      node,
      channel: job.channel,
      requestedBy: job.requestedBy,
      createdAt,
      parentRun: job.runId,
    });
    await deps.enqueueProbe({
      runId,
      node,
      requestedBy: job.requestedBy,
      channel: job.channel,
      requestedAt: createdAt,
    });
  }
  return result;
}

/**
 * Rows in node order; a source no chunk reported is unknown, said so: unserved (no chunk was made:
 * its zone had no live worker) or its job failed for good.
 */
function assemble(
  job: MeshReportJobData,
  chunks: readonly MeshChunkResult[],
  durationMs: number,
): MeshMatrix {
  const names = job.nodes.map((n) => n.name);
  const unreachable: Record<string, string> = {};
  const details: Record<string, string> = {};
  const reported = new Map<string, Partial<Record<MeshProbe, string>>>();
  for (const chunk of chunks) {
    for (const [source, row] of Object.entries(chunk.rows))
      if (names.includes(source)) reported.set(source, row);
    for (const [source, why] of Object.entries(chunk.unreachable))
      if (names.includes(source)) unreachable[source] = why;
    Object.assign(details, chunk.details);
  }
  const unserved = Object.fromEntries(
    Object.entries(job.unserved ?? {}).filter(([name]) => names.includes(name) && !reported.has(name)),
  );
  for (const name of names)
    if (!reported.has(name) && !unreachable[name] && !unserved[name])
      unreachable[name] = 'its probe job did not finish';
  const unknownRow = (i: number, probe: MeshProbe) =>
    probe === 'apiserver-tcp'
      ? encodeCell('unknown')
      : names.map((_, j) => encodeCell(i === j ? 'self' : 'unknown')).join('');
  const rows = Object.fromEntries(
    MESH_PROBES.map((probe) => [
      probe,
      names.map((name, i) => {
        const row = reported.get(name)?.[probe];
        const width = probe === 'apiserver-tcp' ? 1 : names.length;
        return row && row.length === width ? row : unknownRow(i, probe);
      }),
    ]),
  ) as Record<MeshProbe, string[]>;
  return {
    nodes: job.nodes,
    rows,
    unreachable,
    ...(Object.keys(unserved).length > 0 ? { unserved } : {}),
    details,
    durationMs: Math.max(0, Math.round(durationMs)),
  };
}
