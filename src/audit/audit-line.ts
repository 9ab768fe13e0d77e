import { escapeKeepingMentions, escapeMrkdwn } from '../core/mrkdwn-escape.js';
import type { AuditEntry } from './audit-event.js';
import { redactSecrets } from './redact.js';

/**
 * `#12 03:10:04Z plan.approved by <@U1> on node-3: … (thread)` — one line per entry, for the
 * incident channel (pure). Summaries can quote node data (a rule's comment, a step's stderr) and
 * what a user typed: they are escaped for mrkdwn, keeping only netcheck's own mentions.
 */
export function auditLine(entry: AuditEntry, permalink: string | undefined): string {
  const time = entry.at.replace(/^.*T/, '').replace(/\.\d+Z$/, 'Z');
  const who =
    entry.actor === 'netcheck'
      ? 'netcheck'
      : /^[UW][A-Z0-9]{2,}$/.test(entry.actor)
        ? `<@${entry.actor}>`
        : escapeMrkdwn(entry.actor);
  const where = entry.node ? ` on ${escapeMrkdwn(entry.node)}` : '';
  const thread = permalink ? ` · <${permalink}|thread>` : '';
  return redactSecrets(
    `#${entry.seq} ${time} \`${entry.type}\` by ${who}${where}: ${escapeKeepingMentions(entry.summary)}${thread}`,
  ).slice(0, 3500);
}
