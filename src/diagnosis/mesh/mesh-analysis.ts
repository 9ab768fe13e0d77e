import {
  type CellOutcome,
  isBad,
  type MeshMatrix,
  type MeshPlane,
  planeCell,
  planeCounts,
} from './mesh-matrix.js';

export type MeshFindingKind =
  /** SSH to the node failed: its row is unknown. */
  | 'node-unreachable'
  /** No worker of its zone was alive: its row is unknown; a worker is missing, not a network fault. */
  | 'zone-unserved'
  /** Its row and its column are bad: nothing gets in or out. */
  | 'node-isolated'
  /** Its row is bad: it reaches no one, the others reach it. */
  | 'node-outbound'
  /** Its column is bad: no one reaches it, it reaches the others. */
  | 'node-inbound'
  /** Cells between two nodes only: the pair, or the path between them. */
  | 'pair'
  /** Most nodes' rows or columns are bad on a plane: not one node's fault. */
  | 'cluster-wide'
  /** One node cannot reach the API server. */
  | 'apiserver-from-node'
  /** No node reaches the API server. */
  | 'apiserver-down';

export interface MeshFinding {
  readonly kind: MeshFindingKind;
  readonly nodes: readonly string[];
  readonly planes: readonly MeshPlane[];
  /** One line for the thread (plain text; the renderer escapes it). */
  readonly text: string;
  /** The nodes the single-node diagnosis should look at, most likely first. */
  readonly suspects: readonly string[];
  /** Bad cells this finding explains (for ordering). */
  readonly weight: number;
}

export interface MeshAnalysis {
  readonly verdict: 'healthy' | 'faulty' | 'unknown';
  readonly headline: string;
  readonly findings: readonly MeshFinding[];
  /** Nodes to diagnose with the single-node diagnosis, at most `maxCulprits`. */
  readonly culprits: readonly string[];
  /** Suspects left out by the cap. */
  readonly moreSuspects: number;
  readonly counts: Readonly<Record<MeshPlane, Record<CellOutcome, number>>>;
}

/** The single-node diagnosis is a full probe of the node and its peers: at most this many per mesh. */
export const MAX_CULPRITS = 5;

/** A row or column is "the node's" when at least this share of its known cells is bad. */
const MOSTLY = 0.75;

const VXLAN_HINT = 'underlay fine, overlay failing: VXLAN (udp/8472), the MTU or the VTEP';

interface LineStats {
  bad: number;
  known: number;
}

/**
 * Pure: reads the matrix the way a person would. A whole row or column points at that node; bad
 * cells left over point at a pair or the path between them; a plane broken for most nodes is not
 * one node's fault. Unknown cells are never counted as good or bad.
 */
export function analyzeMesh(matrix: MeshMatrix, maxCulprits = MAX_CULPRITS): MeshAnalysis {
  const names = matrix.nodes.map((n) => n.name);
  const counts = {
    underlay: planeCounts(matrix, 'underlay'),
    overlay: planeCounts(matrix, 'overlay'),
    apiserver: planeCounts(matrix, 'apiserver'),
  };
  const findings: MeshFinding[] = [];

  for (const [name, reason] of Object.entries(matrix.unreachable)) {
    if (!names.includes(name)) continue;
    findings.push({
      kind: 'node-unreachable',
      nodes: [name],
      planes: [],
      text: `${name}: netcheck cannot reach it over SSH (${reason}); its row is unknown`,
      suspects: [name],
      weight: names.length,
    });
  }

  const unserved = matrix.unserved ?? {};
  for (const [name, reason] of Object.entries(unserved)) {
    if (!names.includes(name)) continue;
    findings.push({
      kind: 'zone-unserved',
      nodes: [name],
      planes: [],
      text: `${name}: its row is unknown — ${reason}`,
      suspects: [],
      weight: names.length,
    });
  }

  // Per node and plane: which lines are broken. Merged across planes below.
  const nodeLines = new Map<string, { row: MeshPlane[]; col: MeshPlane[]; weight: number }>();
  const explained = new Set<string>();
  for (const plane of ['underlay', 'overlay'] as const) {
    const { broken, wide } = brokenLines(matrix, plane);
    if (wide) {
      findings.push({
        kind: 'cluster-wide',
        nodes: [],
        planes: [plane],
        text: `${plane}: most nodes' rows or columns are bad (${wide} of ${names.length}): not one node's fault${plane === 'overlay' && counts.underlay.fail + counts.underlay.timeout === 0 ? ` (${VXLAN_HINT})` : ''}`,
        suspects: names.slice(0, 2),
        weight: counts[plane].fail + counts[plane].timeout,
      });
      for (let i = 0; i < names.length; i++) explained.add(`${plane}|${i}|*`);
      continue;
    }
    for (const [i, line] of broken) {
      const entry = nodeLines.get(names[i]!) ?? { row: [], col: [], weight: 0 };
      if (line.row) entry.row.push(plane);
      if (line.col) entry.col.push(plane);
      entry.weight += line.weight;
      nodeLines.set(names[i]!, entry);
      if (line.row) explained.add(`${plane}|${i}|row`);
      if (line.col) explained.add(`${plane}|${i}|col`);
    }
  }
  for (const [name, { row, col, weight }] of nodeLines) {
    const planes = [...new Set([...row, ...col])];
    const kind =
      row.length > 0 && col.length > 0 ? 'node-isolated' : row.length > 0 ? 'node-outbound' : 'node-inbound';
    const what =
      kind === 'node-isolated'
        ? 'its row and column are bad (nothing gets in or out)'
        : kind === 'node-outbound'
          ? 'its row is bad (it reaches no peer; they reach it)'
          : 'its column is bad (no peer reaches it; it reaches them)';
    const hint = planes.length === 1 && planes[0] === 'overlay' ? ` — ${VXLAN_HINT}` : '';
    findings.push({
      kind,
      nodes: [name],
      planes,
      text: `${name}: ${what} on the ${planes.join(' and ')}${hint}`,
      suspects: [name],
      weight,
    });
  }

  findings.push(...pairFindings(matrix, explained));
  findings.push(...apiFindings(matrix));

  findings.sort((a, b) => rank(a) - rank(b) || b.weight - a.weight);
  // An unserved node's diagnosis would wait for a worker that is not there: never a culprit.
  const suspects = [...new Set(findings.flatMap((f) => f.suspects))].filter((n) => !(n in unserved));
  const culprits = suspects.slice(0, maxCulprits);
  const unknownCells = counts.underlay.unknown + counts.overlay.unknown + counts.apiserver.unknown;
  const faults = findings.filter((f) => f.kind !== 'zone-unserved');
  const verdict = faults.length > 0 ? 'faulty' : unknownCells > 0 ? 'unknown' : 'healthy';
  const idle = Object.keys(unserved).filter((n) => names.includes(n));
  const idleNote =
    idle.length > 0
      ? ` (no live worker in the zone of ${idle.slice(0, 3).join(', ')}${idle.length > 3 ? ' …' : ''})`
      : '';
  const headline =
    verdict === 'healthy'
      ? `\`healthy\`: all ${names.length} nodes reach each other on the underlay and the overlay, and the API server`
      : verdict === 'unknown'
        ? `no failure seen, but ${unknownCells} cells could not be checked${idleNote}`
        : `${faults.length} finding${faults.length === 1 ? '' : 's'}: ${faults
            .slice(0, 3)
            .map((f) => f.text.split(':')[0])
            .join('; ')}`;
  return { verdict, headline, findings, culprits, moreSuspects: suspects.length - culprits.length, counts };
}

const RANK: Readonly<Record<MeshFindingKind, number>> = {
  'node-isolated': 0,
  'node-unreachable': 1,
  'zone-unserved': 1,
  'apiserver-down': 2,
  'node-outbound': 3,
  'node-inbound': 3,
  'apiserver-from-node': 4,
  'cluster-wide': 5,
  pair: 6,
};
const rank = (f: MeshFinding) => RANK[f.kind];

function brokenLines(
  matrix: MeshMatrix,
  plane: MeshPlane,
): { broken: Map<number, { row: boolean; col: boolean; weight: number }>; wide: number } {
  const n = matrix.nodes.length;
  const rows: LineStats[] = Array.from({ length: n }, () => ({ bad: 0, known: 0 }));
  const cols: LineStats[] = Array.from({ length: n }, () => ({ bad: 0, known: 0 }));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const o = planeCell(matrix, plane, i, j);
      if (o === 'unknown') continue;
      rows[i]!.known += 1;
      cols[j]!.known += 1;
      if (isBad(o)) {
        rows[i]!.bad += 1;
        cols[j]!.bad += 1;
      }
    }
  const mostly = (s: LineStats) =>
    s.bad > 0 && s.bad >= Math.ceil(MOSTLY * s.known) && (n < 3 || s.known >= 2);
  const broken = new Map<number, { row: boolean; col: boolean; weight: number }>();
  for (let i = 0; i < n; i++) {
    const row = mostly(rows[i]!);
    const col = mostly(cols[i]!);
    if (row || col) broken.set(i, { row, col, weight: (row ? rows[i]!.bad : 0) + (col ? cols[i]!.bad : 0) });
  }
  // Two nodes each with a bad line is a story; most nodes at once is the plane itself.
  const wide = broken.size > Math.max(2, n / 2) ? broken.size : 0;
  return { broken, wide };
}

function pairFindings(matrix: MeshMatrix, explained: ReadonlySet<string>): MeshFinding[] {
  const names = matrix.nodes.map((x) => x.name);
  const n = names.length;
  const pairs = new Map<string, { a: number; b: number; planes: Set<MeshPlane>; weight: number }>();
  for (const plane of ['underlay', 'overlay'] as const) {
    if (explained.has(`${plane}|0|*`)) continue;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j || !isBad(planeCell(matrix, plane, i, j))) continue;
        if (explained.has(`${plane}|${i}|row`) || explained.has(`${plane}|${j}|col`)) continue;
        const [a, b] = i < j ? [i, j] : [j, i];
        const key = `${a}|${b}`;
        const entry = pairs.get(key) ?? { a, b, planes: new Set<MeshPlane>(), weight: 0 };
        entry.planes.add(plane);
        entry.weight += 1;
        pairs.set(key, entry);
      }
  }
  return [...pairs.values()].map(({ a, b, planes, weight }) => {
    const list = [...planes];
    const directions = [
      ...list.flatMap((p) => [
        isBad(planeCell(matrix, p, a, b)) ? `${names[a]}→${names[b]}` : '',
        isBad(planeCell(matrix, p, b, a)) ? `${names[b]}→${names[a]}` : '',
      ]),
    ].filter(Boolean);
    const hint = list.length === 1 && list[0] === 'overlay' ? ` — ${VXLAN_HINT}` : '';
    return {
      kind: 'pair' as const,
      nodes: [names[a]!, names[b]!],
      planes: list,
      text: `${names[a]} ↔ ${names[b]}: only this pair fails on the ${list.join(' and ')} (${[...new Set(directions)].join(', ')}): the two nodes or the path between them${hint}`,
      suspects: [names[a]!, names[b]!],
      weight,
    };
  });
}

function apiFindings(matrix: MeshMatrix): MeshFinding[] {
  const names = matrix.nodes.map((x) => x.name);
  const bad: string[] = [];
  let known = 0;
  names.forEach((name, i) => {
    const o = planeCell(matrix, 'apiserver', i, 0);
    if (o === 'unknown') return;
    known += 1;
    if (isBad(o)) bad.push(name);
  });
  if (bad.length === 0) return [];
  if (bad.length === known && known >= Math.min(2, names.length)) {
    const cps = matrix.nodes.filter((x) => x.role === 'control-plane').map((x) => x.name);
    return [
      {
        kind: 'apiserver-down',
        nodes: cps,
        planes: ['apiserver'],
        text: `the API server: no node reaches it (${known} of ${known} fail)`,
        suspects: cps,
        weight: known,
      },
    ];
  }
  return bad.map((name) => ({
    kind: 'apiserver-from-node' as const,
    nodes: [name],
    planes: ['apiserver' as const],
    text: `${name}: cannot reach the API server (the other nodes can)`,
    suspects: [name],
    weight: 1,
  }));
}
