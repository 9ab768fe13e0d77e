import type { PreflightResult, PreflightRow, PreflightStatus } from '../../diagnosis/preflight-result.js';
import type { Block } from './block.js';
import { escapeMrkdwn, truncate } from './mrkdwn.js';
import type { SlackMessage } from './report-blocks.js';

const MARK: Record<PreflightStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  unknown: ':grey_question:',
};
const HEAD = { ready: ':white_check_mark:', incomplete: ':grey_question:', 'not-ready': ':x:' } as const;

/** Slack's limit for a section's text is 3000 characters; 50 blocks per message. */
const SECTION_LIMIT = 2900;
const MAX_BLOCKS = 48;

/** One row as a line: mark, the catalog id (failures that have one) or the check name, subject, detail. */
export function preflightLine(row: PreflightRow): string {
  const name =
    row.status === 'fail' && row.catalogId ? `\`${row.catalogId}\` (${row.check})` : `\`${row.check}\``;
  return `${MARK[row.status]} ${name} — ${escapeMrkdwn(row.subject)}: ${escapeMrkdwn(truncate(row.detail, 300))}`;
}

/** Lines packed into sections of at most SECTION_LIMIT characters each. */
function sections(title: string, rows: readonly PreflightRow[]): Block[] {
  const blocks: Block[] = [];
  let text = `*${title}*`;
  for (const line of rows.map(preflightLine)) {
    if (text.length + line.length + 1 > SECTION_LIMIT) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
      text = '';
    }
    text = text ? `${text}\n${line}` : line;
  }
  if (text) blocks.push({ type: 'section', text: { type: 'mrkdwn', text } });
  return blocks;
}

/**
 * `/netcheck preflight <node>`'s answer (pure): the verdict, then the pass/fail table, prerequisites
 * first, then paths both ways; failures first within each part so they are read before passes.
 * Every failure names its catalog id where it has one, else its check name.
 */
export function renderPreflight(result: PreflightResult): SlackMessage {
  const order: Record<PreflightStatus, number> = { fail: 0, unknown: 1, pass: 2 };
  const sorted = (area: PreflightRow['area']) =>
    result.rows.filter((r) => r.area === area).sort((a, b) => order[a.status] - order[b.status]);
  const count = (s: PreflightStatus) => result.rows.filter((r) => r.status === s).length;
  const headline = `${HEAD[result.verdict]} *Preflight of ${escapeMrkdwn(result.node)}*: ${escapeMrkdwn(result.headline)}`;
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(headline, SECTION_LIMIT) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${count('pass')} passed · ${count('fail')} failed · ${count('unknown')} unknown. Nothing was changed on any node.`,
        },
      ],
    },
    ...sections('Prerequisites on the node', sorted('prerequisite')),
    { type: 'divider' },
    ...sections('Paths it will need, both ways', sorted('path')),
  ];
  const fallback = [
    `Preflight of ${result.node}: ${result.headline}`,
    ...result.rows
      .filter((r) => r.status !== 'pass')
      .map((r) => `${r.status}: ${r.catalogId ?? r.check} — ${r.subject}: ${truncate(r.detail, 200)}`),
  ].join('\n');
  return {
    text: truncate(escapeMrkdwn(fallback), 3000),
    blocks:
      blocks.length > MAX_BLOCKS
        ? [
            ...blocks.slice(0, MAX_BLOCKS - 1),
            {
              type: 'context',
              elements: [
                {
                  type: 'mrkdwn',
                  text: 'Table cut: too many rows for one message; the failures are listed first.',
                },
              ],
            },
          ]
        : blocks,
  };
}
