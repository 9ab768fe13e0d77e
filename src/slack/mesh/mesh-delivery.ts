import type { WebClient } from '@slack/web-api';
import type { MeshResult } from '../../queue/job-types.js';
import type { DeliveryOutcome } from '../../queue/outbox-worker.js';
import type { RunRecord, RunStore } from '../../store/run-store.js';
import type { SlackMessage } from '../blocks/report-blocks.js';
import { uploadToThread } from './file-upload.js';
import { meshCsv } from './mesh-csv.js';
import { rasterizeSvg } from './mesh-png.js';
import { meshTitle, renderMeshParentVerdict, renderMeshSummary } from './mesh-summary.js';
import { buildMeshSvg } from './mesh-svg.js';

export interface MeshDeliveryDeps {
  readonly client: WebClient;
  readonly runs: RunStore;
  /** The outbox's own exactly-once post (outbox-delivery.ts). */
  readonly post: (body: SlackMessage) => Promise<DeliveryOutcome>;
}

/** The summary in the thread, then the verdict on the parent (an update: safe to repeat). */
export async function deliverMeshSummary(
  deps: MeshDeliveryDeps,
  run: RunRecord,
  threadTs: string | undefined,
  result: MeshResult,
): Promise<DeliveryOutcome> {
  const outcome = await deps.post(renderMeshSummary(result));
  if (outcome.status !== 'delivered' || !threadTs) return outcome;
  const body = renderMeshParentVerdict(result);
  await deps.client.chat.update({
    channel: run.channel,
    ts: threadTs,
    text: body.text,
    blocks: body.blocks as never,
  });
  return outcome;
}

/**
 * The heatmap (PNG rasterized from the SVG) and the matrix (CSV), each uploaded once into the
 * thread. Rendering is pure and repeatable, so a retry renders the same bytes again.
 */
export async function deliverMeshFiles(
  deps: MeshDeliveryDeps,
  run: RunRecord,
  threadTs: string | undefined,
  result: MeshResult,
): Promise<DeliveryOutcome> {
  const title = meshTitle(result);
  const svg = buildMeshSvg(result.matrix, { title });
  const png = rasterizeSvg(svg.svg);
  const stamp = result.at.replace(/[^0-9]/g, '').slice(0, 14);
  await uploadToThread({ client: deps.client, runs: deps.runs }, run, threadTs, {
    name: 'mesh-png',
    filename: `netcheck-mesh-${stamp}.png`,
    title,
    bytes: png,
    initialComment: `Heatmap (${svg.width}×${svg.height}): rows = from, columns = to; underlay, overlay and API server side by side. Green ok, red fail, orange timeout, grey unknown.`,
  });
  await uploadToThread({ client: deps.client, runs: deps.runs }, run, threadTs, {
    name: 'mesh-csv',
    filename: `netcheck-mesh-${stamp}.csv`,
    title: `${title} (CSV)`,
    bytes: Buffer.from(meshCsv(result.matrix), 'utf8'),
  });
  return { status: 'delivered' };
}
