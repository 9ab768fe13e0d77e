import { type CellOutcome, encodeCell, type MeshMatrix } from '../../src/diagnosis/mesh/mesh-matrix.js';
import { MESH_PROBES, type MeshProbe } from '../../src/probes/mesh-targets.js';

/** A matrix for tests: `outcome(probe, from, to)` decides each cell (`to` is 'apiserver' for the API). */
export function buildMatrix(
  names: readonly string[],
  outcome: (probe: MeshProbe, from: string, to: string) => CellOutcome = () => 'ok',
  unreachable: Record<string, string> = {},
): MeshMatrix {
  const rows = Object.fromEntries(
    MESH_PROBES.map((probe) => [
      probe,
      names.map((from) => {
        if (unreachable[from])
          return probe === 'apiserver-tcp' ? 'u' : names.map((to) => (to === from ? 's' : 'u')).join('');
        if (probe === 'apiserver-tcp') return encodeCell(outcome(probe, from, 'apiserver'));
        return names.map((to) => (to === from ? 's' : encodeCell(outcome(probe, from, to)))).join('');
      }),
    ]),
  ) as Record<MeshProbe, string[]>;
  return {
    nodes: names.map((name, i) => ({ name, role: i === 0 ? 'control-plane' : 'worker' })),
    rows,
    unreachable,
    details: {},
    durationMs: 1,
  };
}

export const nodeNames = (n: number): string[] =>
  Array.from({ length: n }, (_, k) => (k === 0 ? 'cp-1' : `node-${k}`));
