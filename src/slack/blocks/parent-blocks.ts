import type { NodeReport } from '../../queue/job-types.js';
import { escapeMrkdwn, truncate } from './mrkdwn.js';
import { type SlackMessage, VERDICT_ICON } from './report-blocks.js';

export function renderParentPending(node: string, requestedBy: string): SlackMessage {
  const text = `:mag: checking *${escapeMrkdwn(node)}* for <@${requestedBy}>…`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** The parent after the report: the verdict in one line, so the channel reads as a list of outcomes. */
export function renderParentVerdict(report: NodeReport, requestedBy: string): SlackMessage {
  const text = truncate(
    `${VERDICT_ICON[report.verdict]} *${escapeMrkdwn(report.node)}* (asked by <@${requestedBy}>): ${escapeMrkdwn(report.headline)} — details in the thread`,
    2900,
  );
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
