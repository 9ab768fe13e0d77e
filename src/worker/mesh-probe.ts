import type { Inventory } from '../config/inventory.js';
import { findNode } from '../config/inventory.js';
import { type CellOutcome, detailKey, encodeCell, MAX_DETAILS } from '../diagnosis/mesh/mesh-matrix.js';
import {
  APISERVER_TARGET,
  MESH_PROBES,
  type MeshProbe,
  meshKey,
  meshTargets,
} from '../probes/mesh-targets.js';
import { buildPairProbeScript, type PairProbeResult, parsePairProbeOutput } from '../probes/pair-probes.js';
import type { ProbeTransport } from '../probes/probe-transport.js';
import type { MeshChunkResult, MeshProbeJobData } from '../queue/job-types.js';
import { SSH_ERROR_CODES } from '../ssh/ssh-error.js';

const CONNECTION_CODES: ReadonlySet<string> = new Set(SSH_ERROR_CODES);

export interface MeshProbeDeps {
  readonly inventory: Inventory;
  readonly transport: ProbeTransport;
  readonly now: () => number;
  /** Which worker runs the chunk, for the audit trail (it serves the chunk's zone). */
  readonly worker?: { readonly id: string; readonly zone: string | undefined };
}

/**
 * One chunk of the mesh: every source in it probes every peer, at once, one SSH exec per source
 * (the pair prober, probes/pair-probes.ts) on its pooled connection. A source that cannot be
 * reached over SSH is a fact (its row stays unknown), not an error; nothing here throws for a node.
 */
export async function probeMeshChunk(deps: MeshProbeDeps, job: MeshProbeJobData): Promise<MeshChunkResult> {
  const startedMs = deps.now();
  const rows: Record<string, Partial<Record<MeshProbe, string>>> = {};
  const unreachable: Record<string, string> = {};
  const details: Record<string, string> = {};
  await Promise.all(
    job.sources.map(async (source) => {
      const outcome = await probeSource(deps, job, source);
      if ('unreachable' in outcome) {
        unreachable[source] = outcome.unreachable;
        return;
      }
      rows[source] = {};
      for (const probe of MESH_PROBES) {
        const letters: string[] = [];
        const peers = probe === 'apiserver-tcp' ? [{ name: APISERVER_TARGET }] : job.peers;
        for (const peer of peers) {
          if (peer.name === source) {
            letters.push(encodeCell('self'));
            continue;
          }
          const r = outcome.results.get(meshKey(peer.name, probe)) ?? missing(job, probe);
          const cell = toCell(probe, r);
          letters.push(encodeCell(cell));
          if (cell !== 'ok' && Object.keys(details).length < MAX_DETAILS)
            details[detailKey(source, peer.name, probe)] = r.detail;
        }
        rows[source]![probe] = letters.join('');
      }
    }),
  );
  return {
    rows,
    unreachable,
    details,
    startedMs,
    endedMs: deps.now(),
    ...(deps.worker ? { worker: deps.worker } : {}),
  };
}

type SourceOutcome = { readonly unreachable: string } | { readonly results: Map<string, PairProbeResult> };

async function probeSource(
  deps: MeshProbeDeps,
  job: MeshProbeJobData,
  source: string,
): Promise<SourceOutcome> {
  const node = findNode(deps.inventory, source);
  if (!node) return { unreachable: `${source} is not in this worker's inventory` };
  const target = { name: node.name, host: node.host, port: node.port };
  try {
    await deps.transport.connect(target);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code))
      return { unreachable: `${code}: ${(error as { detail?: string }).detail ?? (error as Error).message}` };
    throw error;
  }
  const targets = meshTargets(source, job.peers, job.apiServer);
  const script = buildPairProbeScript(targets);
  try {
    const r = await deps.transport.exec(target, script.command, {
      timeoutMs: script.timeoutMs,
      maxOutputBytes: 1024 * 1024,
      // Read-only: safe to run again on a pooled connection an sshd restart killed.
      retryOnStaleConnection: true,
    });
    const why = r.timedOut ? 'exec-timeout' : `prober-exit-${r.exitCode ?? 'killed'}`;
    return { results: parsePairProbeOutput(script, targets, r.stdout, why) };
  } catch (error) {
    // The connection broke mid-run: this source's row is unknown, said so.
    const detail = (error as { code?: string }).code ?? 'ssh-error';
    return { results: parsePairProbeOutput(script, targets, '', detail) };
  }
}

function missing(job: MeshProbeJobData, probe: MeshProbe): PairProbeResult {
  if (probe === 'overlay-flannel' || probe === 'overlay-pod')
    return { outcome: 'unknown', detail: job.overlayUnknown ?? 'no-podcidr' };
  if (probe === 'apiserver-tcp') return { outcome: 'unknown', detail: 'apiserver-not-ipv4' };
  return { outcome: 'unknown', detail: 'host-not-ipv4' };
}

/**
 * A RST from a peer's kubelet port is an answer (the underlay carried the SYN and the reply); from
 * the API server's port it is a failure (nothing listens there: the API server is down).
 */
function toCell(probe: MeshProbe, r: PairProbeResult): CellOutcome {
  if (r.outcome === 'refused') return probe === 'underlay-tcp' ? 'ok' : 'fail';
  return r.outcome;
}
