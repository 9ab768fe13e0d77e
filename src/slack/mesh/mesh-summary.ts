import type { MeshResult } from '../../queue/job-types.js';
import type { Block } from '../blocks/block.js';
import { escapeMrkdwn, truncate } from '../blocks/mrkdwn.js';
import { type SlackMessage, VERDICT_ICON } from '../blocks/report-blocks.js';

const SECTION_LIMIT = 2900;
const MAX_FINDINGS = 12;

const section = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) },
});

/** The mesh's title (picture, files): nodes and time. */
export function meshTitle(result: MeshResult): string {
  return `netcheck mesh — ${result.matrix.nodes.length} nodes — ${result.at.replace('T', ' ').slice(0, 19)} UTC`;
}

/**
 * Pure: the mesh in words, for every reader (a screen reader, a phone without images, the
 * notification): the verdict, the counts per plane, each finding, and which nodes are being
 * diagnosed next in this thread.
 */
export function renderMeshSummary(result: MeshResult): SlackMessage {
  const { matrix, analysis } = result;
  const n = matrix.nodes.length;
  const head = `${VERDICT_ICON[analysis.verdict]} *Mesh of ${n} nodes*: ${escapeMrkdwn(analysis.headline)} (${(matrix.durationMs / 1000).toFixed(1)} s, ${n * (n - 1)} pairs per plane)`;
  const counts = (['underlay', 'overlay', 'apiserver'] as const)
    .map((plane) => {
      const c = analysis.counts[plane];
      return `• *${plane}*: ${c.ok} ok, ${c.fail} fail, ${c.timeout} timeout, ${c.unknown} unknown`;
    })
    .join('\n');
  const blocks: Block[] = [section(head), section(counts)];
  const lines = analysis.findings.slice(0, MAX_FINDINGS).map((f) => `• ${escapeMrkdwn(f.text)}`);
  if (analysis.findings.length > MAX_FINDINGS)
    lines.push(`• … ${analysis.findings.length - MAX_FINDINGS} more findings (see the CSV)`);
  if (lines.length > 0) blocks.push(section(`*Findings*\n${lines.join('\n')}`));
  if (analysis.culprits.length > 0) {
    const more = analysis.moreSuspects > 0 ? ` (${analysis.moreSuspects} more suspects not diagnosed)` : '';
    blocks.push(
      section(
        `*Diagnosing* ${analysis.culprits.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}${more}: each report, with its catalog ids, evidence and fix plan, follows in this thread.`,
      ),
    );
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: 'Underlay: ICMP and TCP/10250 to the node address (a RST counts as an answer). Overlay: ping to the peer’s flannel.1 (podCIDR .0) and cni0 (.1). API server: TCP connect. The heatmap and the CSV follow.',
      },
    ],
  });
  const text = truncate(
    [head, counts, ...lines, analysis.culprits.length > 0 ? `Diagnosing ${analysis.culprits.join(', ')}` : '']
      .filter(Boolean)
      .join('\n'),
    SECTION_LIMIT,
  );
  return { text, blocks };
}

/** The parent after the mesh: the verdict in one line. */
export function renderMeshParentVerdict(result: MeshResult): SlackMessage {
  const text = truncate(
    `${VERDICT_ICON[result.analysis.verdict]} *mesh of ${result.matrix.nodes.length} nodes* (asked by <@${result.requestedBy}>): ${escapeMrkdwn(result.analysis.headline)} — details in the thread`,
    SECTION_LIMIT,
  );
  return { text, blocks: [section(text)] };
}
