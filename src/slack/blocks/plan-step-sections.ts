import type { PlanStep } from '../../remediation/plan-step.js';
import { stepText } from '../../remediation/step-text.js';
import { escapeMrkdwn, truncate } from './mrkdwn.js';

/** Slack refuses a section text over 3,000 characters; the code fence and a header line fit in the rest. */
const SECTION_TEXT_LIMIT = 3000;
const HEADER_ROOM = 400;
const CODE_LIMIT = SECTION_TEXT_LIMIT - HEADER_ROOM;

/**
 * One step as section texts: its header, then every command it runs and its check, exactly as
 * they run, in ``` blocks, split over as many sections as it takes and never cut. Undefined when
 * the text cannot be shown faithfully: a ``` inside a command would end the code block early.
 */
export function stepSections(step: PlanStep): string[] | undefined {
  const { command, check } = stepText(step);
  const body = `${command}\n# then checked with: ${check}`;
  if (body.includes('```')) return undefined;
  // The title is a description (it can quote a long rule): shortened; the commands below never are.
  const header = `*${step.n}. ${truncate(escapeMrkdwn(step.title), 250)}* on ${escapeMrkdwn(step.node)}${step.destructive ? ' — :warning: destructive' : ''}`;
  const chunks = splitEscaped(body, CODE_LIMIT);
  return chunks.map((chunk, i) => {
    const head =
      chunks.length === 1
        ? header
        : i === 0
          ? `${header} _(part 1 of ${chunks.length})_`
          : `_step ${step.n}, part ${i + 1} of ${chunks.length}, continued:_`;
    return `${head}\n\`\`\`${chunk}\`\`\``;
  });
}

/**
 * Splits text into pieces whose mrkdwn-escaped form fits `limit`, at line ends where it can. The
 * pieces, unescaped and joined, are the text again: nothing is dropped or reworded.
 */
function splitEscaped(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let current = '';
  const flush = () => {
    if (current) pieces.push(escapeMrkdwn(current));
    current = '';
  };
  for (const line of text.split(/(?<=\n)/)) {
    if (escapeMrkdwn(current + line).length <= limit) {
      current += line;
      continue;
    }
    flush();
    let rest = line;
    while (escapeMrkdwn(rest).length > limit) {
      let n = limit;
      while (escapeMrkdwn(rest.slice(0, n)).length > limit) n -= 1;
      pieces.push(escapeMrkdwn(rest.slice(0, n)));
      rest = rest.slice(n);
    }
    current = rest;
  }
  flush();
  return pieces;
}
