import {
  type CellOutcome,
  MESH_PLANES,
  type MeshMatrix,
  type MeshPlane,
  planeCell,
  planeCounts,
} from '../../diagnosis/mesh/mesh-matrix.js';

/** Colour per outcome (ColorBrewer RdYlGn ends and a neutral grey): distinct in grey scale too. */
export const OUTCOME_COLOUR: Readonly<Record<CellOutcome, string>> = {
  ok: '#1a9850',
  fail: '#d73027',
  timeout: '#fdae61',
  unknown: '#bdbdbd',
  self: '#ffffff',
};

const PANEL_TITLE: Readonly<Record<MeshPlane, string>> = {
  underlay: 'Underlay (ICMP + TCP/10250)',
  overlay: 'Overlay (flannel.1 + cni0)',
  apiserver: 'API server',
};

export interface MeshSvg {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

const FONT = 'DejaVu Sans, sans-serif';
const GAP = 28;
const MARGIN = 16;

const esc = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const short = (name: string) => (name.length > 16 ? `${name.slice(0, 15)}…` : name);

/** Cell size: large on small clusters, 10 px at 100 nodes, never below 6 (200 nodes). */
export function cellSize(n: number): number {
  return Math.max(6, Math.min(24, Math.floor(1000 / Math.max(1, n))));
}

/**
 * Pure: the heatmap as SVG. Rows are "from", columns "to"; one panel per plane side by side
 * (underlay, overlay: node × node; API server: one column); a legend with the counts. Runs of one
 * colour in a row are one rectangle and the grid is drawn as lines, so a 100-node picture is a few
 * thousand elements, not 20,000.
 */
export function buildMeshSvg(matrix: MeshMatrix, opts: { title: string }): MeshSvg {
  const n = matrix.nodes.length;
  const c = cellSize(n);
  const font = Math.max(6, Math.min(12, c - 2));
  const labelW = Math.ceil(Math.max(...matrix.nodes.map((x) => short(x.name).length), 4) * font * 0.62) + 6;
  const top = MARGIN + 22 + 18 + labelW; // title, panel title, rotated column labels
  const gridW = n * c;
  const panelX: Record<MeshPlane, number> = { underlay: 0, overlay: 0, apiserver: 0 };
  let x = MARGIN + labelW;
  for (const plane of MESH_PLANES) {
    panelX[plane] = x;
    const titleW = Math.ceil(PANEL_TITLE[plane].length * 7.5);
    x += Math.max(plane === 'apiserver' ? c : gridW, titleW) + GAP + (plane === 'overlay' ? labelW : 0);
  }
  const legendY = top + gridW + 20;
  const width = Math.max(x - GAP + MARGIN + 24, MARGIN + labelW + 720);
  const height = legendY + 72 + MARGIN;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" shape-rendering="crispEdges">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 14}" font-size="16" font-weight="bold" fill="#222">${esc(opts.title)}</text>`,
  ];
  for (const plane of MESH_PLANES) {
    const px = panelX[plane];
    const cols = plane === 'apiserver' ? 1 : n;
    out.push(
      `<text x="${px}" y="${MARGIN + 22 + 12}" font-size="12" font-weight="bold" fill="#222">${esc(PANEL_TITLE[plane])}</text>`,
    );
    // Row labels left of the underlay panel and again left of the API server column (after the overlay).
    if (plane !== 'overlay') {
      matrix.nodes.forEach((node, i) => {
        out.push(
          `<text x="${px - 4}" y="${top + i * c + c / 2 + font * 0.35}" font-size="${font}" text-anchor="end" fill="#222">${esc(short(node.name))}</text>`,
        );
      });
    }
    if (plane !== 'apiserver') {
      matrix.nodes.forEach((node, j) => {
        const cx = px + j * c + c / 2 + font * 0.35;
        out.push(
          `<text x="${cx}" y="${top - 4}" font-size="${font}" transform="rotate(-90 ${cx} ${top - 4})" fill="#222">${esc(short(node.name))}</text>`,
        );
      });
    }
    for (let i = 0; i < n; i++) {
      let start = 0;
      for (let j = 1; j <= cols; j++) {
        const here = planeCell(matrix, plane, i, start);
        if (j < cols && planeCell(matrix, plane, i, j) === here) continue;
        out.push(
          `<rect x="${px + start * c}" y="${top + i * c}" width="${(j - start) * c}" height="${c}" fill="${OUTCOME_COLOUR[here]}"/>`,
        );
        start = j;
      }
    }
    const grid: string[] = [];
    for (let k = 0; k <= n; k++) grid.push(`M${px} ${top + k * c}h${cols * c}`);
    for (let k = 0; k <= cols; k++) grid.push(`M${px + k * c} ${top}v${n * c}`);
    out.push(`<path d="${grid.join('')}" stroke="#ffffff" stroke-width="${c >= 10 ? 1 : 0.5}" fill="none"/>`);
    out.push(
      `<rect x="${px}" y="${top}" width="${cols * c}" height="${n * c}" fill="none" stroke="#666" stroke-width="1"/>`,
    );
  }
  out.push(...legend(matrix, MARGIN + labelW, legendY));
  out.push('</svg>');
  return { svg: out.join('\n'), width, height };
}

function legend(matrix: MeshMatrix, x: number, y: number): string[] {
  const out: string[] = [];
  const outcomes: CellOutcome[] = ['ok', 'fail', 'timeout', 'unknown', 'self'];
  outcomes.forEach((o, k) => {
    const lx = x + k * 110;
    out.push(
      `<rect x="${lx}" y="${y}" width="14" height="14" fill="${OUTCOME_COLOUR[o]}" stroke="#666" stroke-width="1"/>`,
      `<text x="${lx + 20}" y="${y + 11}" font-size="12" fill="#222">${o}</text>`,
    );
  });
  out.push(
    `<text x="${x + 5 * 110}" y="${y + 11}" font-size="12" fill="#666">rows: from · columns: to</text>`,
  );
  MESH_PLANES.forEach((plane, k) => {
    const counts = planeCounts(matrix, plane);
    const text = `${plane}: ${counts.ok} ok, ${counts.fail} fail, ${counts.timeout} timeout, ${counts.unknown} unknown`;
    out.push(`<text x="${x}" y="${y + 32 + k * 16}" font-size="12" fill="#222">${esc(text)}</text>`);
  });
  return out;
}
