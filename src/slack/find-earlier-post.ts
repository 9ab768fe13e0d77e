import { ErrorCode, type WebClient } from '@slack/web-api';

// One idea used by every poster that must not post twice (the outbox, the audit mirror): a post
// carries a marker in its metadata; a send whose outcome is unknown is looked up by that marker
// before it is sent again, and a send Slack certainly refused needs no lookup.

/**
 * What a post carries in its Slack metadata so that a later try can recognise it: a send whose
 * outcome is unknown (5xx, a crash mid-call) is looked up by this marker before it is posted again.
 */
export interface PostMarker {
  /** The metadata event type, one per kind of poster (`netcheck_outbox`, `netcheck_audit`). */
  readonly eventType: string;
  /** The payload field that identifies one post, and its value. */
  readonly key: string;
  readonly value: string | number;
}

/** The `metadata` argument of chat.postMessage that carries the marker. */
export function markerMetadata(marker: PostMarker): {
  event_type: string;
  event_payload: Record<string, string | number>;
} {
  return { event_type: marker.eventType, event_payload: { [marker.key]: marker.value } };
}

export interface FindEarlierPostOptions {
  readonly channel: string;
  /** Look among this thread's replies instead of the channel's top level. */
  readonly threadTs?: string | undefined;
  /** How many recent messages to look through. */
  readonly limit: number;
}

/**
 * The ts of a message already posted with this marker, or undefined. Only the most recent `limit`
 * messages are searched: an unknown outcome is retried within seconds, so an earlier post is recent.
 * A failed lookup throws; whether to post anyway is the caller's decision.
 */
export async function findEarlierPost(
  client: WebClient,
  marker: PostMarker,
  opts: FindEarlierPostOptions,
): Promise<string | undefined> {
  const page = opts.threadTs
    ? await client.conversations.replies({
        channel: opts.channel,
        ts: opts.threadTs,
        limit: opts.limit,
        include_all_metadata: true,
      })
    : await client.conversations.history({
        channel: opts.channel,
        limit: opts.limit,
        include_all_metadata: true,
      });
  const found = (page.messages ?? []).find((m) => {
    const meta = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } })
      .metadata;
    const value = meta?.event_payload?.[marker.key];
    // Slack may hand a number back as a string: compare as text.
    return (
      meta?.event_type === marker.eventType && value !== undefined && String(value) === String(marker.value)
    );
  });
  return found?.ts;
}

/**
 * True when a failed chat.postMessage certainly posted nothing: Slack answered 429 or `ok: false`.
 * Any other failure (5xx, a timeout, a reset connection) may have posted, so the next try must
 * first look for the earlier post before it posts again.
 */
export function wasNotPosted(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === ErrorCode.RateLimitedError || code === ErrorCode.PlatformError;
}
