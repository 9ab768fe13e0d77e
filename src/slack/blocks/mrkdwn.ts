import { escapeMrkdwn } from '../../core/mrkdwn-escape.js';

export { escapeKeepingMentions, escapeMrkdwn } from '../../core/mrkdwn-escape.js';

/** Text inside a ``` block: escape and make sure it cannot close the block early. */
export function codeBlock(lines: readonly string[], limit: number): string {
  const body = escapeMrkdwn(lines.join('\n')).replaceAll('```', "'''");
  return `\`\`\`${truncate(body, limit - 6)}\`\`\``;
}

/** Cut text to `limit` characters with a visible note, never silently. */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const note = `\n… (cut: ${text.length - limit + 40} more characters)`;
  return text.slice(0, Math.max(0, limit - note.length)) + note;
}
