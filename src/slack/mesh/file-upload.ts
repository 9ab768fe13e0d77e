import type { WebClient } from '@slack/web-api';
import type { RunRecord, RunStore } from '../../store/run-store.js';

export interface ThreadFile {
  /** Key of this file within the run (exactly-once bookkeeping), e.g. `mesh-png`. */
  readonly name: string;
  readonly filename: string;
  readonly title: string;
  readonly bytes: Uint8Array;
  readonly initialComment?: string;
}

export interface FileUploadDeps {
  readonly client: WebClient;
  readonly runs: Pick<RunStore, 'recordUpload' | 'upload'>;
  /** POSTs the bytes to Slack's upload URL; global fetch unless a test swaps it. */
  readonly fetch?: typeof fetch;
}

/**
 * Uploads one file into a run's thread with Slack's external upload flow:
 * files.getUploadURLExternal (filename, length) → POST the bytes to the upload URL →
 * files.completeUploadExternal (files [{id, title}], channel_id, thread_ts, initial_comment).
 *
 * Exactly once across retries: the file id is recorded as pending before the bytes go out and as
 * done after the completion; a retry of a done upload does nothing, a retry of a pending one first
 * looks for that file id in the thread (the completion may have reached Slack before the process
 * died) and starts over only if it is not there.
 */
export async function uploadToThread(
  deps: FileUploadDeps,
  run: RunRecord,
  threadTs: string | undefined,
  file: ThreadFile,
): Promise<void> {
  const state = await deps.runs.upload(run.runId, file.name);
  if (state?.state === 'done') return;
  if (state?.state === 'pending' && (await inThread(deps.client, run.channel, threadTs, state.fileId))) {
    await deps.runs.recordUpload(run.runId, file.name, 'done', state.fileId);
    return;
  }
  const started = await deps.client.files.getUploadURLExternal({
    filename: file.filename,
    length: file.bytes.length,
  });
  const url = started.upload_url;
  const fileId = started.file_id;
  if (!url || !fileId)
    throw new Error('files.getUploadURLExternal answered ok without upload_url or file_id');
  assertUploadUrl(url);
  await deps.runs.recordUpload(run.runId, file.name, 'pending', fileId);
  const response = await (deps.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: file.bytes,
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`the upload URL answered HTTP ${response.status}; will retry`);
  await response.arrayBuffer().catch(() => undefined);
  await deps.client.files.completeUploadExternal({
    files: [{ id: fileId, title: file.title }],
    channel_id: run.channel,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(file.initialComment ? { initial_comment: file.initialComment } : {}),
  });
  await deps.runs.recordUpload(run.runId, file.name, 'done', fileId);
}

/** Slack's upload URLs are https (files.slack.com); plain http only to loopback (the local stand-in). */
function assertUploadUrl(raw: string): void {
  const url = new URL(raw);
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error(`refusing to upload to ${url.protocol}//${url.host}: Slack's upload URL must be https`);
}

async function inThread(
  client: WebClient,
  channel: string,
  threadTs: string | undefined,
  fileId: string,
): Promise<boolean> {
  if (!threadTs) return false;
  const page = await client.conversations.replies({ channel, ts: threadTs, limit: 200 });
  return (page.messages ?? []).some((m) => (m.files ?? []).some((f) => f.id === fileId));
}
