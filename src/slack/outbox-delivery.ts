import { ErrorCode, type WebClient } from '@slack/web-api';
import { redactDeep } from '../audit/redact.js';
import { PERMANENT_SLACK_ERRORS } from '../core/slack-error-codes.js';
import type { OutboxMessage } from '../queue/job-types.js';
import { type Deliver, type DeliveryOutcome, PermanentDeliveryError } from '../queue/outbox-worker.js';
import { SWEEP_MESSAGE_KINDS, type SweepMessage } from '../queue/sweep-message.js';
import type { RunRecord, RunStore } from '../store/run-store.js';
import { escapeOutboxText } from './blocks/outbox-text.js';
import { renderParentPending, renderParentVerdict } from './blocks/parent-blocks.js';
import { planBlocks } from './blocks/plan-blocks.js';
import { renderPreflight } from './blocks/preflight-blocks.js';
import { renderReport, type SlackMessage } from './blocks/report-blocks.js';
import { findEarlierPost, markerMetadata, type PostMarker, wasNotPosted } from './find-earlier-post.js';
import { deliverMeshFiles, deliverMeshSummary } from './mesh/mesh-delivery.js';
import { deliverSweep } from './sweep-delivery.js';

/** Slack errors that no retry can fix. */
const PERMANENT: ReadonlySet<string> = new Set(PERMANENT_SLACK_ERRORS);

/** The post of outbox message `messageId` carries this in its metadata. */
const marker = (messageId: string): PostMarker => ({
  eventType: 'netcheck_outbox',
  key: 'id',
  value: messageId,
});
/** How long a threaded reply waits for its parent before it is posted at the top level instead. */
const PARENT_WAIT_LIMIT_MS = 15 * 60 * 1000;

export interface OutboxDeliveryDeps {
  readonly client: WebClient;
  readonly runs: RunStore;
  /** Control-plane node names (from the inventory): a plan's approval rule depends on them. */
  readonly controlPlane: ReadonlySet<string>;
  readonly now: () => number;
  readonly logger: { warn(obj: object, msg: string): void };
  /** Counts a failed Slack call by its error code (netcheck_slack_errors_total). */
  readonly onSlackError?: (code: string) => void;
}

/**
 * Sends one outbox message so that a re-run never duplicates it: the Slack ts is recorded once
 * posted, and a send whose outcome is unknown (the process died mid-call, or Slack answered 5xx)
 * is looked up in the channel by its metadata id before posting again.
 */
export function createOutboxDelivery(deps: OutboxDeliveryDeps): Deliver {
  return async (message, messageId) => {
    try {
      // Nothing secret reaches Slack, whatever a probe or a step printed.
      return await deliverOne(deps, escapeOutboxText(redactDeep(message)), messageId);
    } catch (error) {
      if (!(error instanceof PermanentDeliveryError)) deps.onSlackError?.(slackErrorCode(error));
      try {
        return classify(error, message);
      } catch (final) {
        // Without a parent the replies go to the channel itself rather than wait forever.
        if (final instanceof PermanentDeliveryError && message.kind === 'parent')
          await deps.runs.markParentFailed(message.runId);
        throw final;
      }
    }
  };
}

async function deliverOne(
  deps: OutboxDeliveryDeps,
  message: OutboxMessage,
  messageId: string,
): Promise<DeliveryOutcome> {
  const run = await deps.runs.get(message.runId);
  if (!run) throw new PermanentDeliveryError(`run ${message.runId} is unknown (expired?)`);

  if (message.kind === 'parent') {
    return post(
      deps,
      run,
      messageId,
      undefined,
      renderParentPending(message.label ?? run.node, run.requestedBy),
      async (ts) => {
        await deps.runs.recordDelivered(run.runId, 'parent', ts);
      },
    );
  }

  if (SWEEP_MESSAGE_KINDS.has(message.kind))
    return deliverSweep(deps, run, message as SweepMessage, (threadTs, body, onPosted) =>
      post(deps, run, messageId, threadTs, body, onPosted),
    );

  const threadTs = run.parentTs;
  if (!threadTs && !run.parentFailed && deps.now() - Date.parse(run.createdAt) < PARENT_WAIT_LIMIT_MS) {
    return { status: 'wait', ms: 500, reason: 'waiting for the parent message to be posted' };
  }

  if (message.kind === 'verdict') {
    if (!threadTs) return { status: 'delivered' }; // no parent to update; the report carries the verdict
    // A mesh's culprit: the parent is the mesh's, which keeps the mesh's verdict.
    if (run.parentRun) return { status: 'delivered' };
    const body = renderParentVerdict(message.report, run.requestedBy);
    await deps.client.chat.update({
      channel: run.channel,
      ts: threadTs,
      text: body.text,
      blocks: body.blocks as never,
    });
    return { status: 'delivered' };
  }

  if (message.kind === 'plan-decided') {
    // The report message loses its buttons and says who decided and when.
    // The buttons live on the report, or on the message that offered this plan later (a rollback).
    const offered = await deps.runs.savedMessage(run.runId, `plan-${message.planId}`);
    const reportTs = offered
      ? await deps.runs.deliveredTs(run.runId, `${run.runId}-plan-offered-${message.planId}`)
      : await deps.runs.deliveredTs(run.runId, `${run.runId}-report`);
    const saved = offered ?? (await deps.runs.savedMessage(run.runId, 'report'));
    if (!reportTs || !saved)
      return { status: 'wait', ms: 500, reason: 'waiting for the report to be posted' };
    const blocks = saved.blocks.filter((b) => b.block_id !== `plan-${message.planId}`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: message.text }] });
    // Kept, so a later redraw (a sweep problem resolved) does not bring the buttons back.
    await deps.runs.saveMessage(run.runId, offered ? `plan-${message.planId}` : 'report', {
      text: saved.text,
      blocks,
    });
    await deps.client.chat.update({
      channel: run.channel,
      ts: reportTs,
      text: saved.text,
      blocks: blocks as never,
    });
    return { status: 'delivered' };
  }

  if (message.kind === 'plan-offered') {
    const body: SlackMessage = {
      text: message.text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: message.text } },
        ...planBlocks(message.plan, deps.controlPlane),
      ],
    };
    await deps.runs.saveMessage(run.runId, `plan-${message.plan.planId}`, body);
    return post(deps, run, messageId, threadTs, body);
  }

  if (message.kind === 'preflight-verdict') {
    if (!threadTs) return { status: 'delivered' }; // no parent to update; the table says it all
    await deps.client.chat.update({
      channel: run.channel,
      ts: threadTs,
      text: message.text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: message.text } }] as never,
    });
    return { status: 'delivered' };
  }

  if (message.kind === 'preflight')
    return post(deps, run, messageId, threadTs, renderPreflight(message.result));

  if (message.kind === 'report') {
    const body = renderReport(message.report, run.runId, deps.controlPlane);
    await deps.runs.saveMessage(run.runId, 'report', body);
    return post(deps, run, messageId, threadTs, body);
  }
  if (message.kind === 'mesh-summary' || message.kind === 'mesh-files') {
    const mesh = {
      client: deps.client,
      runs: deps.runs,
      post: (body: SlackMessage) => post(deps, run, messageId, threadTs, body),
    };
    return message.kind === 'mesh-summary'
      ? deliverMeshSummary(mesh, run, threadTs, message.result)
      : deliverMeshFiles(mesh, run, threadTs, message.result);
  }
  if ('text' in message) return post(deps, run, messageId, threadTs, { text: message.text, blocks: [] });
  throw new PermanentDeliveryError(`outbox message kind ${message.kind} is not known to this bot`);
}

async function post(
  deps: OutboxDeliveryDeps,
  run: RunRecord,
  messageId: string,
  threadTs: string | undefined,
  body: SlackMessage,
  onPosted?: (ts: string) => Promise<void>,
): Promise<DeliveryOutcome> {
  if (await deps.runs.deliveredTs(run.runId, messageId)) return { status: 'delivered' };
  const firstTry = await deps.runs.beginSend(run.runId, messageId);
  if (!firstTry) {
    const ts = await findPosted(deps, run.channel, threadTs, messageId);
    if (ts) {
      await deps.runs.recordDelivered(run.runId, messageId, ts);
      await onPosted?.(ts);
      return { status: 'delivered' };
    }
  }
  let result: { ts?: string };
  try {
    result = await deps.client.chat.postMessage({
      channel: run.channel,
      text: body.text,
      ...(body.blocks.length > 0 ? { blocks: body.blocks as never } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      unfurl_links: false,
      metadata: markerMetadata(marker(messageId)),
    });
  } catch (error) {
    // Slack definitely did not post: the next try needs no lookup.
    if (wasNotPosted(error)) await deps.runs.endSend(run.runId, messageId);
    if (
      (error as { code?: string }).code === ErrorCode.PlatformError &&
      (error as { data?: { error?: string } }).data?.error === 'invalid_blocks' &&
      body.blocks.length > 0
    ) {
      // Never lose a report to a rendering bug: fall back to its plain text.
      return post(deps, run, messageId, threadTs, { text: body.text, blocks: [] }, onPosted);
    }
    throw error;
  }
  const ts = result.ts;
  if (!ts) throw new Error('chat.postMessage answered ok without a ts');
  await deps.runs.recordDelivered(run.runId, messageId, ts);
  await onPosted?.(ts);
  return { status: 'delivered' };
}

/** Looks for a message this outbox already posted, by the id in its metadata. */
async function findPosted(
  deps: OutboxDeliveryDeps,
  channel: string,
  threadTs: string | undefined,
  messageId: string,
): Promise<string | undefined> {
  try {
    // Replies come oldest first, so a thread gets the larger page; a retry finds its post among the
    // channel's newest 100.
    return await findEarlierPost(deps.client, marker(messageId), {
      channel,
      threadTs,
      limit: threadTs ? 200 : 100,
    });
  } catch (error) {
    // If we cannot look, posting again risks a duplicate; not posting risks losing it. Losing is worse.
    deps.logger.warn(
      { err: error, messageId },
      'could not check whether an earlier send reached Slack; sending again',
    );
    return undefined;
  }
}

/** A Slack failure's code: the Web API's `error` field, or the kind of transport failure. */
function slackErrorCode(error: unknown): string {
  const e = error as { code?: string; data?: { error?: string } };
  if (e.code === ErrorCode.PlatformError) return e.data?.error ?? 'other';
  if (e.code === ErrorCode.RateLimitedError) return 'ratelimited';
  if (e.code === ErrorCode.HTTPError) return 'http_error';
  if (e.code === ErrorCode.RequestError) return 'request_error';
  return 'other';
}

function classify(error: unknown, message: OutboxMessage): DeliveryOutcome {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number };
  if (error instanceof PermanentDeliveryError) throw error;
  if (e.code === ErrorCode.RateLimitedError) {
    return {
      status: 'wait',
      ms: Math.max(1, e.retryAfter ?? 1) * 1000,
      reason: `Slack rate limit (429) on ${message.kind}`,
    };
  }
  if (e.code === ErrorCode.PlatformError && e.data?.error && PERMANENT.has(e.data.error)) {
    throw new PermanentDeliveryError(
      `Slack refused the ${message.kind} message for ${message.runId}: ${e.data.error}`,
    );
  }
  throw error;
}
