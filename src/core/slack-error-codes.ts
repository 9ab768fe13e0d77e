/** Slack Web API errors that no retry can fix: the outbox gives up on them at once. */
export const PERMANENT_SLACK_ERRORS = [
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'no_permission',
  'restricted_action',
  'msg_too_long',
  'invalid_arguments',
  'message_not_found',
  'cant_update_message',
] as const;

/** Every Slack error code netcheck names (metrics give each a label; any other code is `other`). */
export const SLACK_ERROR_CODES = [
  'ratelimited',
  'http_error',
  'request_error',
  'invalid_blocks',
  ...PERMANENT_SLACK_ERRORS,
  'internal_error',
  'fatal_error',
  'service_unavailable',
] as const;
