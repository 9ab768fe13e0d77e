import { ErrorCode, type WebClient } from '@slack/web-api';
import type { AuditStore } from '../store/audit-store.js';
import type { RunStore } from '../store/run-store.js';
import type { AuditEntry } from './audit-event.js';
import { auditLine } from './audit-line.js';
import { isMirrored } from './mirror-filter.js';

const METADATA_EVENT = 'netcheck_audit';
const LEADER_TTL_MS = 15_000;
/** How long a line waits for its run's thread to exist, so that it can link to it. */
const THREAD_WAIT_MS = 2 * 60 * 1000;
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 10_000;

export interface AuditMirrorDeps {
  readonly store: AuditStore;
  readonly runs: RunStore;
  readonly client: WebClient;
  readonly channel: string;
  /** Resolves when the log may have grown past `afterId`, or after `ms` at the latest. */
  readonly waitForMore: (afterId: string, ms: number) => Promise<void>;
  readonly owner: string;
  readonly now: () => number;
  readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

class NotYet extends Error {}

/**
 * Posts every audit entry to the incident channel, one line each, in order, exactly once. The
 * cursor (last entry posted) lives in Redis and moves only after Slack confirmed the post; a send
 * whose outcome is unknown (5xx, crash) is looked up in the channel by its metadata before it is
 * posted again. A Slack outage only delays the lines behind it.
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
  const permalinks = new Map<string, string>();

  const loop = async () => {
    let backoff = BACKOFF_START_MS;
    while (!stopped) {
      try {
        if (!(await deps.store.leadMirror(deps.owner, LEADER_TTL_MS))) {
          await pause(LEADER_TTL_MS / 3);
          continue;
        }
        const cursor = await deps.store.mirrored();
        const [entry] = await deps.store.read(cursor.id, 1);
        if (!entry) {
          await deps.waitForMore(cursor.id, 2000);
          continue;
        }
        await mirrorOne(deps, entry, permalinks);
        backoff = BACKOFF_START_MS;
      } catch (error) {
        if (stopped) break;
        const retryAfter = (error as { retryAfter?: number }).retryAfter;
        if (!(error instanceof NotYet))
          deps.logger.warn({ err: error }, 'audit line not posted yet; will retry (nothing is lost)');
        await pause(retryAfter ? retryAfter * 1000 : backoff);
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
    },
  };
}

async function mirrorOne(deps: AuditMirrorDeps, entry: AuditEntry, permalinks: Map<string, string>) {
  if (!isMirrored(entry)) return deps.store.setMirrored(entry.seq, entry.id);
  const earlier = await deps.store.beginMirrorSend(entry.seq);
  if (earlier === entry.seq && (await alreadyPosted(deps, entry.seq))) {
    await deps.store.setMirrored(entry.seq, entry.id);
    return;
  }
  const link = await permalinkFor(deps, entry, permalinks);
  try {
    await deps.client.chat.postMessage({
      channel: deps.channel,
      text: auditLine(entry, link),
      unfurl_links: false,
      unfurl_media: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { seq: entry.seq } },
    });
  } catch (error) {
    // Slack definitely did not post on 429 or an ok:false answer: no lookup needed next time.
    const code = (error as { code?: string }).code;
    if (code === ErrorCode.RateLimitedError || code === ErrorCode.PlatformError)
      await deps.store.clearMirrorSend();
    throw error;
  }
  await deps.store.setMirrored(entry.seq, entry.id);
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

async function alreadyPosted(deps: AuditMirrorDeps, seq: number): Promise<boolean> {
  const page = await deps.client.conversations.history({
    channel: deps.channel,
    limit: 200,
    include_all_metadata: true,
  });
  return (page.messages ?? []).some((m) => {
    const meta = (m as { metadata?: { event_type?: string; event_payload?: { seq?: number } } }).metadata;
    return meta?.event_type === METADATA_EVENT && Number(meta.event_payload?.seq) === seq;
  });
}
