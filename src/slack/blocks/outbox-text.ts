import { escapeKeepingMentions } from '../../core/mrkdwn-escape.js';
import type { OutboxMessage } from '../../queue/job-types.js';

/**
 * The outbox messages whose `text` is a template with node data in it (a step's title quotes the
 * rule it deletes, its detail quotes stderr), made safe to show as mrkdwn at the one place they
 * reach Slack: escaped, keeping netcheck's own `<@U…>`/`<#C…>` (pure).
 */
export function escapeOutboxText(message: OutboxMessage): OutboxMessage {
  switch (message.kind) {
    case 'notice':
    case 'progress':
    case 'plan-offered':
    case 'plan-decided':
    case 'preflight-verdict':
      return { ...message, text: escapeKeepingMentions(message.text) };
    default:
      return message;
  }
}
