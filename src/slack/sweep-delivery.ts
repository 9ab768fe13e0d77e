import type { WebClient } from '@slack/web-api';
import type { DeliveryOutcome } from '../queue/outbox-worker.js';
import type { SweepMessage } from '../queue/sweep-message.js';
import type { RunRecord, RunStore } from '../store/run-store.js';
import { escapeMrkdwn } from './blocks/mrkdwn.js';
import type { SlackMessage } from './blocks/report-blocks.js';
import { renderSweepProblem, renderSweepResolved } from './blocks/sweep-blocks.js';

/** Posts once (outbox-delivery's exactly-once post), optionally in a thread, and runs `onPosted` with the ts. */
export type PostOnce = (
  threadTs: string | undefined,
  body: SlackMessage,
  onPosted?: (ts: string) => Promise<void>,
) => Promise<DeliveryOutcome>;

export interface SweepDeliveryDeps {
  readonly client: WebClient;
  readonly runs: RunStore;
  readonly controlPlane: ReadonlySet<string>;
}

/**
 * A sweep problem's messages. The announcement is the run's parent and its report at once (so a
 * plan decision, the fix's progress and the resolution all find it as they find a `/netcheck`
 * report); updates and the resolution redraw it in place (chat.update, which repeats harmlessly),
 * and the resolution adds a thread reply, sent exactly once like every outbox post.
 */
export async function deliverSweep(
  deps: SweepDeliveryDeps,
  run: RunRecord,
  message: SweepMessage,
  postOnce: PostOnce,
): Promise<DeliveryOutcome> {
  if (message.kind === 'sweep-problem') {
    const body = renderSweepProblem(message.report, run.runId, deps.controlPlane, message.note);
    await deps.runs.saveMessage(run.runId, 'report', body);
    return postOnce(undefined, body, async (ts) => {
      await deps.runs.recordDelivered(run.runId, 'parent', ts);
      await deps.runs.recordDelivered(run.runId, `${run.runId}-report`, ts);
    });
  }
  const parentTs = run.parentTs;
  if (!parentTs) {
    // Nothing to redraw if the announcement could never be posted; otherwise wait for it.
    if (run.parentFailed) return { status: 'delivered' };
    return { status: 'wait', ms: 500, reason: 'waiting for the sweep announcement to be posted' };
  }
  if (message.kind === 'sweep-update') {
    const body = renderSweepProblem(message.report, run.runId, deps.controlPlane, message.note);
    await deps.runs.saveMessage(run.runId, 'report', body);
    await update(deps, run, parentTs, body);
    return { status: 'delivered' };
  }
  const saved = await deps.runs.savedMessage(run.runId, 'report');
  if (saved) {
    const body = renderSweepResolved(saved, message.note);
    await deps.runs.saveMessage(run.runId, 'report', body);
    await update(deps, run, parentTs, body);
  }
  // The note quotes the API server's error: shown as the characters it is.
  return postOnce(parentTs, { text: escapeMrkdwn(message.note), blocks: [] });
}

async function update(
  deps: SweepDeliveryDeps,
  run: RunRecord,
  ts: string,
  body: SlackMessage,
): Promise<void> {
  await deps.client.chat.update({ channel: run.channel, ts, text: body.text, blocks: body.blocks as never });
}
