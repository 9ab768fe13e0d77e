import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { AuditEntry } from '../audit/audit-event.js';
import { auditLine } from '../audit/audit-line.js';
import { isMirrored } from '../audit/mirror-filter.js';
import { AuditMirrorLease } from '../store/audit-mirror-lease.js';
import type { AuditStore } from '../store/audit-store.js';
import type { RunStore } from '../store/run-store.js';
import { findEarlierPost, markerMetadata, type PostMarker, wasNotPosted } from './find-earlier-post.js';

/** The audit line for entry `seq` carries this in its metadata. */
const marker = (seq: number): PostMarker => ({ eventType: 'netcheck_audit', key: 'seq', value: seq });
/** How long a line waits for its run's thread to exist, so that it can link to it. */
const THREAD_WAIT_MS = 2 * 60 * 1000;
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 10_000;

export interface MirrorTiming {
  /** The leader lease lapses this long after its holder last renewed it (each loop turn). */
  readonly leaseTtlMs: number;
  /**
   * A send whose outcome is unknown is looked up only this long after it began: by then it has
   * either reached Slack or never will. Must exceed the Web API client's timeout (roles/bot.ts)
   * plus Slack's own processing time, or a deposed leader's slow post could land after the lookup.
   */
  readonly settleMs: number;
}

export const DEFAULT_MIRROR_TIMING: MirrorTiming = { leaseTtlMs: 15_000, settleMs: 20_000 };

export interface AuditMirrorDeps {
  readonly store: AuditStore;
  readonly runs: RunStore;
  /** The main connection: the lease, the cursor and the send in progress live there. */
  readonly redis: Redis;
  readonly client: WebClient;
  readonly channel: string;
  /** Resolves when the log may have grown past `afterId`, or after `ms` at the latest. */
  readonly waitForMore: (afterId: string, ms: number) => Promise<void>;
  readonly owner: string;
  readonly now: () => number;
  readonly logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  /** Tests shorten these; production uses DEFAULT_MIRROR_TIMING. */
  readonly timing?: MirrorTiming;
}

/** Not an error: try again in `retryInMs` (or with the usual backoff). */
class NotYet extends Error {
  constructor(
    what: string,
    readonly retryInMs?: number,
  ) {
    super(what);
  }
}

/** What one mirror keeps between loop turns. */
interface MirrorState {
  readonly lease: AuditMirrorLease;
  readonly timing: MirrorTiming;
  readonly permalinks: Map<string, string>;
  /** `token:seq` of our own sends that Slack answered (a 5xx): finished, so no need to let them settle. */
  readonly answered: Set<string>;
}

/**
 * Posts every audit entry to the incident channel, one line each, in order, exactly once, with any
 * number of bot replicas. One replica leads at a time (a lease in Redis with a fencing token, see
 * AuditMirrorLease); right before each post it proves in Redis that it still holds the lease, and
 * the cursor moves after the post only for that token, so a replica deposed mid-post (a slow Slack,
 * a pause) can neither post again nor move the cursor. A send whose outcome is unknown (5xx,
 * timeout, crash, a leader deposed mid-post) is looked up in the channel by its metadata, once it
 * has had time to settle, before it is posted again. A Slack outage only delays the lines behind it.
 */
export function startAuditMirror(deps: AuditMirrorDeps): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const state: MirrorState = {
    lease: new AuditMirrorLease(deps.redis),
    timing: deps.timing ?? DEFAULT_MIRROR_TIMING,
    permalinks: new Map(),
    answered: new Set(),
  };
  const { leaseTtlMs } = state.timing;
  let token: number | undefined;

  const loop = async () => {
    let backoff = BACKOFF_START_MS;
    while (!stopped) {
      try {
        const held = await state.lease.lead(deps.owner, leaseTtlMs);
        if (token !== undefined && held !== token)
          deps.logger.info({ token, now: held }, 'audit mirror lease lost; another replica posts');
        token = held;
        if (token === undefined) {
          await pause(leaseTtlMs / 3);
          continue;
        }
        const cursor = await state.lease.cursor();
        const [entry] = await deps.store.read(cursor.id, 1);
        if (!entry) {
          // Short enough that the lease is renewed well before it lapses.
          await deps.waitForMore(cursor.id, Math.min(2000, leaseTtlMs / 3));
          continue;
        }
        await mirrorOne(deps, state, token, entry);
        backoff = BACKOFF_START_MS;
      } catch (error) {
        if (stopped) break;
        const retryAfter = (error as { retryAfter?: number }).retryAfter;
        if (!(error instanceof NotYet))
          deps.logger.warn({ err: error }, 'audit line not posted yet; will retry (nothing is lost)');
        // Never longer than a third of the lease, so that waiting does not cost the lease.
        const wait =
          error instanceof NotYet && error.retryInMs !== undefined
            ? Math.min(error.retryInMs, leaseTtlMs / 3)
            : retryAfter
              ? retryAfter * 1000
              : backoff;
        await pause(wait);
        if (!(error instanceof NotYet && error.retryInMs !== undefined))
          backoff = Math.min(backoff * 2, BACKOFF_CAP_MS);
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      // Another replica takes over now rather than after the TTL.
      if (token !== undefined) await state.lease.release(token).catch(() => undefined);
    },
  };
}

/** Posts `entry` unless it is already in the channel; every step is fenced by `token`. */
async function mirrorOne(deps: AuditMirrorDeps, state: MirrorState, token: number, entry: AuditEntry) {
  // Refusals anyone can produce at will stay in the log but are not posted (the cursor still moves).
  if (!isMirrored(entry)) {
    await state.lease.commit(token, entry.seq, entry.id);
    return;
  }
  // Before the permit, so that nothing slow lies between the permit and the post.
  const link = await permalinkFor(deps, entry, state.permalinks);
  for (let lookedUp = false; ; lookedUp = true) {
    const permit = await state.lease.beginSend(token, entry.seq, lookedUp);
    if (permit.kind === 'lost') throw new NotYet('lease lost', 0);
    if (permit.kind === 'done') return;
    if (permit.kind === 'go') break;
    // An earlier send of this entry, ours or a deposed leader's, may still be on its way to Slack:
    // a lookup now could miss it. Only our own send that Slack answered is known to be finished.
    const finished = permit.token === token && state.answered.has(`${token}:${entry.seq}`);
    const settlesIn = permit.startedMs + state.timing.settleMs - permit.nowMs;
    if (!finished && settlesIn > 0) throw new NotYet('earlier send settling', settlesIn);
    // A failed lookup throws: the loop retries later rather than risk a second line for this entry.
    if (await findEarlierPost(deps.client, marker(entry.seq), { channel: deps.channel, limit: 200 })) {
      state.answered.delete(`${token}:${entry.seq}`);
      await state.lease.commit(token, entry.seq, entry.id);
      return;
    }
  }
  try {
    await deps.client.chat.postMessage({
      channel: deps.channel,
      text: auditLine(entry, link),
      unfurl_links: false,
      unfurl_media: false,
      metadata: markerMetadata(marker(entry.seq)),
    });
  } catch (error) {
    // Slack definitely did not post: no lookup needed next time.
    if (wasNotPosted(error)) await state.lease.clearSend(token, entry.seq);
    else if (wasAnswered(error)) state.answered.add(`${token}:${entry.seq}`);
    throw error;
  }
  state.answered.delete(`${token}:${entry.seq}`);
  // False when we were deposed during the post: the new leader finds this line by its metadata.
  if (!(await state.lease.commit(token, entry.seq, entry.id)))
    deps.logger.info(
      { seq: entry.seq },
      'audit line posted as the lease changed hands; the new leader takes it from here',
    );
}

/** Slack answered (an HTTP error status): the request is over, whatever it did. A timeout is not. */
function wasAnswered(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === ErrorCode.HTTPError;
}

async function permalinkFor(
  deps: AuditMirrorDeps,
  entry: AuditEntry,
  cache: Map<string, string>,
): Promise<string | undefined> {
  if (!entry.runId) return undefined;
  const cached = cache.get(entry.runId);
  if (cached) return cached;
  const run = await deps.runs.get(entry.runId);
  if (!run) return undefined;
  if (!run.parentTs) {
    // The thread is still on its way (Slack may be slow for both): wait for it, within reason.
    if (!run.parentFailed && deps.now() - Date.parse(entry.at) < THREAD_WAIT_MS)
      throw new NotYet('thread pending');
    return undefined;
  }
  const answer = await deps.client.chat.getPermalink({ channel: run.channel, message_ts: run.parentTs });
  if (answer.permalink) cache.set(entry.runId, answer.permalink);
  return answer.permalink;
}
