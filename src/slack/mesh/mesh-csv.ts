import { cell, detailKey, type MeshMatrix } from '../../diagnosis/mesh/mesh-matrix.js';
import { APISERVER_TARGET, MESH_PROBES } from '../../probes/mesh-targets.js';

/**
 * Pure: the matrix as CSV, one line per source and target, two columns per probe (the outcome,
 * and the node's own word for a non-ok cell), for a spreadsheet or a diff between two runs. The
 * API server is a target named `apiserver` with only its own columns filled. Node names are
 * DNS-1123: nothing needs quoting.
 */
export function meshCsv(matrix: MeshMatrix): string {
  const header = ['from', 'to', ...MESH_PROBES.flatMap((p) => [p, `${p}-detail`])];
  const lines = [header.join(',')];
  matrix.nodes.forEach((from, i) => {
    matrix.nodes.forEach((to, j) => {
      if (i === j) return;
      const cells = MESH_PROBES.flatMap((p) =>
        p === 'apiserver-tcp'
          ? ['', '']
          : [cell(matrix, p, i, j), matrix.details[detailKey(from.name, to.name, p)] ?? ''],
      );
      lines.push([from.name, to.name, ...cells].join(','));
    });
    const api = MESH_PROBES.flatMap((p) =>
      p === 'apiserver-tcp'
        ? [cell(matrix, p, i, 0), matrix.details[detailKey(from.name, APISERVER_TARGET, p)] ?? '']
        : ['', ''],
    );
    lines.push([from.name, APISERVER_TARGET, ...api].join(','));
  });
  return `${lines.join('\n')}\n`;
}
