/** Slack mrkdwn needs only &, < and > escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * For text built from a trusted template with untrusted parts in it (a step's stderr, a rule's
 * comment, a file name): everything is escaped, so `<!channel>`, `<!here>`, `<https://…|links>`
 * and stray markup show as the characters they are; then only netcheck's own references are
 * turned back on: user mentions `<@U…>` and channel references `<#C…>`. (Node data that spells a
 * mention exactly still pings that one user; it can never reach a group, a channel or a link.)
 */
export function escapeKeepingMentions(text: string): string {
  return escapeMrkdwn(text).replace(/&lt;([@#][UWCG][A-Z0-9]{2,})&gt;/g, '<$1>');
}
