import { createHmac } from 'node:crypto';

export interface SignedRequestOptions {
  /** Seconds since the epoch; default now. */
  readonly timestamp?: number;
  /** Sign with this secret instead (a forgery). */
  readonly signWith?: string;
  /** How long to wait for the answer (default 10 s). */
  readonly answerTimeoutMs?: number;
}

/** Signs a body exactly as Slack does: v0= hex HMAC-SHA256 of "v0:<ts>:<raw body>". */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlashCommandFields {
  readonly text: string;
  readonly user_id?: string;
  readonly user_name?: string;
  readonly channel_id?: string;
  readonly response_url?: string;
}

/** POSTs a slash command to the app as Slack would. */
export async function postSlashCommand(
  appUrl: string,
  secret: string,
  fields: SlashCommandFields,
  opts: SignedRequestOptions = {},
): Promise<{ status: number; body: string }> {
  const form = new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'lab',
    channel_id: fields.channel_id ?? 'C0INCIDENT',
    channel_name: 'incident',
    user_id: fields.user_id ?? 'U0ONCALL',
    user_name: fields.user_name ?? 'oncall',
    command: '/netcheck',
    text: fields.text,
    api_app_id: 'A0NETCHECK',
    is_enterprise_install: 'false',
    response_url: fields.response_url ?? 'http://127.0.0.1:9/commands/unused',
    trigger_id: '1.2.3',
  }).toString();
  return postSigned(appUrl, secret, form, 'application/x-www-form-urlencoded', opts);
}

export async function postSigned(
  appUrl: string,
  secret: string,
  body: string,
  contentType: string,
  opts: SignedRequestOptions = {},
): Promise<{ status: number; body: string }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${appUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(opts.signWith ?? secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(opts.answerTimeoutMs ?? 10_000),
  });
  return { status: res.status, body: await res.text() };
}

/** POSTs a button click (block_actions) as Slack does: form field `payload` with JSON. */
export async function postButtonClick(
  appUrl: string,
  secret: string,
  click: { actionId: string; value: string; user: string; channel: string; messageTs: string },
): Promise<{ status: number; body: string }> {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'lab' },
    user: { id: click.user, username: click.user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0NETCHECK',
    token: 'deprecated-verification-token',
    container: {
      type: 'message',
      message_ts: click.messageTs,
      channel_id: click.channel,
      is_ephemeral: false,
    },
    trigger_id: '1.2.3',
    channel: { id: click.channel, name: 'incident' },
    message: { type: 'message', ts: click.messageTs, text: '' },
    response_url: 'http://127.0.0.1:9/actions/unused',
    actions: [
      {
        type: 'button',
        action_id: click.actionId,
        block_id: `plan-${click.value}`,
        value: click.value,
        text: { type: 'plain_text', text: 'x' },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return postSigned(
    appUrl,
    secret,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
  );
}
