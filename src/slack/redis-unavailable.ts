/** What a user is told when a listener could not reach Redis in time: true, and what to do. */
export const REDIS_UNAVAILABLE_TEXT =
  ":warning: Redis is unavailable, nothing was queued: netcheck ran nothing and will not run it later. Try again in a minute; if it persists, the bot's operator should check Redis (REDIS_URL).";

/**
 * Whether an error means Redis did not answer: no connection (the listener connection fails at
 * once instead of queueing), a frozen server (command timeout), or a deadline around Redis work.
 */
export function isRedisUnavailable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.code === 'deadline' || e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET') return true;
  if (e?.name === 'MaxRetriesPerRequestError') return true;
  return /Command timed out|enableOfflineQueue|Connection is closed|Stream isn't writeable|max retries per request/i.test(
    e?.message ?? '',
  );
}
