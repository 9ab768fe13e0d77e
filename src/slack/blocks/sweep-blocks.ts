import type { SweepReport } from '../../queue/sweep-message.js';
import type { Block } from './block.js';
import { escapeMrkdwn, truncate } from './mrkdwn.js';
import { renderReport, type SlackMessage } from './report-blocks.js';

/** The block ids a sweep message is redrawn by: its first line and its status line. */
const HEAD = 'sweep-head';
const STATUS = 'sweep-status';

const cause = (report: SweepReport) => report.rootCauses[0]?.id ?? 'unknown';

/**
 * A sweep's announcement (pure): what was found where, a status line (since when, the node
 * condition), then the report (root cause, evidence, fix) and its plan with the usual buttons.
 */
export function renderSweepProblem(
  report: SweepReport,
  runId: string,
  controlPlane: ReadonlySet<string>,
  note: string,
): SlackMessage {
  const body = renderReport(report, runId, controlPlane);
  const text = truncate(
    `:rotating_light: Sweep: *${escapeMrkdwn(report.node)}* has \`${cause(report)}\` — ${escapeMrkdwn(report.headline)}`,
    2900,
  );
  return {
    text,
    blocks: [
      { type: 'section', block_id: HEAD, text: { type: 'mrkdwn', text } },
      statusBlock(note),
      ...body.blocks,
    ],
  };
}

/**
 * The announcement once resolved (pure): the first line says so, the status line says when and
 * what happened to the node condition, and the plan's buttons go (there is nothing left to fix).
 */
export function renderSweepResolved(saved: SlackMessage, note: string): SlackMessage {
  const head = saved.blocks.find((b) => b.block_id === HEAD) as { text?: { text?: string } } | undefined;
  const was = (head?.text?.text ?? saved.text).replace(/^:rotating_light: Sweep: /, '');
  const text = truncate(`:white_check_mark: Resolved: ~${was}~`, 2900);
  const blocks = saved.blocks
    .filter((b) => !(b.type === 'actions' && String(b.block_id ?? '').startsWith('plan-')))
    .map((b) =>
      b.block_id === HEAD
        ? { type: 'section', block_id: HEAD, text: { type: 'mrkdwn', text } }
        : b.block_id === STATUS
          ? statusBlock(note)
          : b,
    );
  return { text, blocks };
}

function statusBlock(note: string): Block {
  return {
    type: 'context',
    block_id: STATUS,
    elements: [{ type: 'mrkdwn', text: truncate(escapeMrkdwn(note), 2900) }],
  };
}
