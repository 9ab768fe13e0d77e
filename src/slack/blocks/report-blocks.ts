import type { Check } from '../../diagnosis/check.js';
import type { Evidence } from '../../diagnosis/evidence.js';
import type { RootCause } from '../../diagnosis/finding.js';
import type { NodeReport } from '../../queue/job-types.js';
import type { Block } from './block.js';
import { codeBlock, escapeMrkdwn, truncate } from './mrkdwn.js';
import { planBlocks } from './plan-blocks.js';

// Block Kit limits (docs and bolt-js #2509): 50 blocks, 3,000 characters per section text. We stay
// well below both, so a big report is cut with a note rather than rejected by Slack.
const MAX_BLOCKS = 45;
const SECTION_LIMIT = 2900;
const MAX_EVIDENCE_PER_CAUSE = 4;

export type { Block } from './block.js';
export interface SlackMessage {
  readonly text: string;
  readonly blocks: Block[];
}

const section = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) },
});
const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) }],
});
const divider: Block = { type: 'divider' };

export const VERDICT_ICON: Record<NodeReport['verdict'], string> = {
  healthy: ':large_green_circle:',
  faulty: ':red_circle:',
  unknown: ':large_yellow_circle:',
};

function evidenceBlock(e: Evidence): Block {
  const header = `*${escapeMrkdwn(e.node)}*${e.note ? ` — ${escapeMrkdwn(e.note)}` : ''}`;
  const body = codeBlock([`$ ${e.command}`, ...e.lines], SECTION_LIMIT - header.length - 1);
  return section(`${header}\n${body}`);
}

function rootCauseBlocks(cause: RootCause, index: number): Block[] {
  const blocks: Block[] = [
    section(
      `*${index + 1}. \`${cause.id}\`* on *${escapeMrkdwn(cause.node)}* (${cause.confidence} confidence)\n${escapeMrkdwn(cause.cause)}`,
    ),
  ];
  const evidence = cause.evidence.slice(0, MAX_EVIDENCE_PER_CAUSE);
  blocks.push(...evidence.map(evidenceBlock));
  if (cause.evidence.length > evidence.length)
    blocks.push(context(`… ${cause.evidence.length - evidence.length} more evidence items not shown`));
  const explained = cause.explainedChecks.map((c) => escapeMrkdwn(c.title));
  const folded = cause.folded.map((f) => `\`${f.id}\``);
  if (explained.length > 0 || folded.length > 0) {
    blocks.push(context(`Explains: ${[...folded, ...explained].join(' · ')}`));
  }
  return blocks;
}

function checkLine(c: Check): string {
  const icon = c.status === 'pass' ? ':white_check_mark:' : c.status === 'fail' ? ':x:' : ':grey_question:';
  return `${icon} ${escapeMrkdwn(c.title)} — ${escapeMrkdwn(c.detail)}`;
}

/** The threaded report: root cause first with its evidence, then what is unexplained or unknown, then the fix plan. */
export function renderReport(
  report: NodeReport,
  runId: string,
  controlPlane: ReadonlySet<string>,
): SlackMessage {
  const blocks: Block[] = [
    section(
      `${VERDICT_ICON[report.verdict]} *${escapeMrkdwn(report.node)}*: ${escapeMrkdwn(report.headline)}`,
    ),
  ];

  report.rootCauses.forEach((cause, i) => {
    blocks.push(divider, ...rootCauseBlocks(cause, i));
  });

  if (report.unexplained.length > 0) {
    blocks.push(
      divider,
      section(`*Failed checks no known cause explains*\n${report.unexplained.map(checkLine).join('\n')}`),
    );
    for (const c of report.unexplained.slice(0, 3)) blocks.push(...c.evidence.slice(0, 1).map(evidenceBlock));
  }
  if (report.unknowns.length > 0) {
    blocks.push(
      section(
        `*Could not check* (counted as unknown, not as passed)\n${report.unknowns.map(checkLine).join('\n')}`,
      ),
    );
  }
  for (const note of report.notes) blocks.push(context(`:information_source: ${escapeMrkdwn(note)}`));

  if (report.rootCauses.length > 0) {
    const steps = report.rootCauses.map(
      (c, i) =>
        `${i + 1}. \`${c.id}\` on ${escapeMrkdwn(c.node)}: ${escapeMrkdwn(c.fix)}${planNote(report, c)}`,
    );
    blocks.push(
      divider,
      section(`*How each is fixed* (nothing has been changed on any node)\n${steps.join('\n')}`),
    );
  }
  if (report.verdict === 'healthy') {
    blocks.push(context(report.checks.map(checkLine).join('\n')));
  }
  blocks.push(
    context(`${report.checks.length} checks in ${Math.round(report.durationMs)} ms · run \`${runId}\``),
  );

  // The plan and its buttons always survive the cut: they are what the reader acts on.
  const plan = report.plan ? planBlocks(report.plan, controlPlane) : [];
  return { text: fallbackText(report), blocks: [...capBlocks(blocks, MAX_BLOCKS - plan.length), ...plan] };
}

/**
 * Whether the fix line is backed by the plan offered below: a line never promises a change that no
 * plan makes. A cause with a remedy that is not the plan's waits for the first plan to be done.
 */
function planNote(report: NodeReport, cause: RootCause): string {
  const plan = report.plan;
  if (plan && plan.causeId === cause.id && plan.node === cause.remedy?.node)
    return ' _(the plan below does this)_';
  if (cause.remedy)
    return ' _(no plan offered yet: fix the cause with the plan first, then run /netcheck again)_';
  return plan || report.rootCauses.some((c) => c.remedy)
    ? ' _(no plan: netcheck has no safe change for this)_'
    : '';
}

/** The plain-text fallback (notifications, screen readers): verdict and every root-cause id. */
function fallbackText(report: NodeReport): string {
  const ids = report.rootCauses.map((c) => `\`${c.id}\``).join(', ');
  return truncate(
    `${report.node}: ${report.headline}${report.rootCauses.length > 1 ? ` — root causes: ${ids}` : ''}`,
    3000,
  );
}

function capBlocks(blocks: Block[], max: number): Block[] {
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  kept.push(
    context(
      `… ${blocks.length - kept.length} more blocks cut to stay within Slack's limits; the full report is in the worker log for this run.`,
    ),
  );
  return kept;
}
