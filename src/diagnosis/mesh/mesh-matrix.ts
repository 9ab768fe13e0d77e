import { MESH_PROBES, type MeshProbe } from '../../probes/mesh-targets.js';

/** How one cell of the mesh ended. `self` is the diagonal; `unknown` could not be tried or read. */
export type CellOutcome = 'ok' | 'fail' | 'timeout' | 'unknown' | 'self';

/** One letter per outcome: a 100-node row is a 100-character string (the matrix crosses Redis). */
const LETTER: Readonly<Record<CellOutcome, string>> = {
  ok: 'o',
  fail: 'f',
  timeout: 't',
  unknown: 'u',
  self: 's',
};
const BY_LETTER: Readonly<Record<string, CellOutcome>> = Object.fromEntries(
  Object.entries(LETTER).map(([k, v]) => [v, k as CellOutcome]),
);

export const encodeCell = (outcome: CellOutcome): string => LETTER[outcome];
export const decodeCell = (letter: string | undefined): CellOutcome =>
  (letter !== undefined && BY_LETTER[letter]) || 'unknown';

/** The planes a reader sees (a panel each): underlay and overlay are node × node, the API server one column. */
export const MESH_PLANES = ['underlay', 'overlay', 'apiserver'] as const;
export type MeshPlane = (typeof MESH_PLANES)[number];

export const PLANE_PROBES: Readonly<Record<MeshPlane, readonly MeshProbe[]>> = {
  underlay: ['underlay-icmp', 'underlay-tcp'],
  overlay: ['overlay-flannel', 'overlay-pod'],
  apiserver: ['apiserver-tcp'],
};

export interface MeshNode {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
}

/**
 * Every node to every node, per probe. `rows[probe][i]` is node i's row: one letter per column
 * (node order), or for `apiserver-tcp` a single letter. Plain data: it crosses Redis and is the
 * input of the analysis, the picture and the CSV.
 */
export interface MeshMatrix {
  readonly nodes: readonly MeshNode[];
  readonly rows: Readonly<Record<MeshProbe, readonly string[]>>;
  /** Nodes netcheck could not reach over SSH, with why: their rows are unknown. */
  readonly unreachable: Readonly<Record<string, string>>;
  /** Nodes no worker probed from (their zone had no live worker), with why: rows unknown, no fault. */
  readonly unserved?: Readonly<Record<string, string>>;
  /** What a non-ok cell said (`from|to|probe` → errno name, `no-answer` …); capped. */
  readonly details: Readonly<Record<string, string>>;
  /** How long the probing took (first job start to last result), ms. */
  readonly durationMs: number;
}

export const MAX_DETAILS = 2000;

export const detailKey = (from: string, to: string, probe: MeshProbe): string => `${from}|${to}|${probe}`;

/** The cell of `probe` from node index i to node index j (j ignored for the API server). */
export function cell(matrix: MeshMatrix, probe: MeshProbe, i: number, j: number): CellOutcome {
  const row = matrix.rows[probe][i];
  if (probe === 'apiserver-tcp') return decodeCell(row?.[0]);
  if (i === j) return 'self';
  return decodeCell(row?.[j]);
}

/**
 * A plane's outcome from its probes: ok only when every probe is; a failure over a timeout over
 * unknown otherwise (an ICMP-only block shows as a bad underlay cell, which it is).
 */
export function planeCell(matrix: MeshMatrix, plane: MeshPlane, i: number, j: number): CellOutcome {
  const outcomes = PLANE_PROBES[plane].map((p) => cell(matrix, p, i, j));
  if (outcomes.includes('self')) return 'self';
  if (outcomes.every((o) => o === 'ok')) return 'ok';
  if (outcomes.includes('fail')) return 'fail';
  if (outcomes.includes('timeout')) return 'timeout';
  return 'unknown';
}

/** Counts per plane, over the cells that are not the diagonal. */
export function planeCounts(matrix: MeshMatrix, plane: MeshPlane): Record<CellOutcome, number> {
  const counts: Record<CellOutcome, number> = { ok: 0, fail: 0, timeout: 0, unknown: 0, self: 0 };
  const n = matrix.nodes.length;
  for (let i = 0; i < n; i++) {
    if (plane === 'apiserver') {
      counts[planeCell(matrix, plane, i, 0)] += 1;
      continue;
    }
    for (let j = 0; j < n; j++) if (i !== j) counts[planeCell(matrix, plane, i, j)] += 1;
  }
  return counts;
}

export const isBad = (o: CellOutcome): boolean => o === 'fail' || o === 'timeout';

export { MESH_PROBES };
