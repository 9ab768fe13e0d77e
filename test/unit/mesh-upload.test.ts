import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebClient } from '@slack/web-api';
import { uploadToThread } from '../../src/slack/mesh/file-upload.js';
import { pngSize, rasterizeSvg } from '../../src/slack/mesh/mesh-png.js';
import { buildMeshSvg } from '../../src/slack/mesh/mesh-svg.js';
import type { RunRecord } from '../../src/store/run-store.js';
import { FakeSlack } from '../support/fake-slack.js';
import { buildMatrix, nodeNames } from '../support/mesh-matrix-builder.js';

/** The run hash's upload fields, in memory (RunStore keeps them in Redis). */
function memoryRuns() {
  const uploads = new Map<string, { state: 'pending' | 'done'; fileId: string }>();
  return {
    uploads,
    recordUpload: async (runId: string, name: string, state: 'pending' | 'done', fileId: string) => {
      uploads.set(`${runId}/${name}`, { state, fileId });
    },
    upload: async (runId: string, name: string) => uploads.get(`${runId}/${name}`),
  };
}

describe('mesh picture upload (Slack external upload flow, against the fake Slack)', () => {
  const slack = new FakeSlack();
  let client: WebClient;
  let parentTs: string;
  const run = (runId: string): RunRecord => ({
    runId,
    node: 'mesh',
    channel: 'C0MESH',
    requestedBy: 'U1',
    createdAt: '2026-11-25T00:00:00Z',
    parentTs,
    parentFailed: false,
  });

  before(async () => {
    await slack.start();
    client = new WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    parentTs = ((await client.chat.postMessage({ channel: 'C0MESH', text: 'parent' })) as { ts: string }).ts;
  });
  after(() => slack.stop());

  it('getUploadURLExternal → bytes to the upload URL → completeUploadExternal: the PNG arrives whole, at its size', async () => {
    const svg = buildMeshSvg(buildMatrix(nodeNames(12)), { title: 'mesh' });
    const png = rasterizeSvg(svg.svg);
    const runs = memoryRuns();
    await uploadToThread({ client, runs }, run('r1'), parentTs, {
      name: 'mesh-png',
      filename: 'mesh.png',
      title: 'the mesh',
      bytes: png,
      initialComment: 'heatmap',
    });
    const started = slack.callsOf('files.getUploadURLExternal');
    assert.deepEqual(started.at(-1)?.params, { filename: 'mesh.png', length: String(png.length) });
    const complete = slack.callsOf('files.completeUploadExternal').at(-1)!;
    assert.equal(complete.params.channel_id, 'C0MESH');
    assert.equal(complete.params.thread_ts, parentTs);
    assert.equal(complete.params.initial_comment, 'heatmap');
    const message = slack.replies(parentTs).at(-1)!;
    const file = message.files![0]!;
    assert.equal(file.title, 'the mesh');
    assert.deepEqual(pngSize(file.bytes!), { width: svg.width, height: svg.height });
    assert.ok(Buffer.from(png).equals(file.bytes!), 'the bytes arrived unchanged');
    // The file URL serves it back (the local console shows it from there).
    const served = await fetch(`${slack.url.replace(/api\/$/, '')}files/${file.id}`);
    assert.equal(served.headers.get('content-type'), 'image/png');
    assert.equal(Buffer.from(await served.arrayBuffer()).length, png.length);
    // A retried delivery of a done upload does nothing.
    const calls = slack.calls.length;
    await uploadToThread({ client, runs }, run('r1'), parentTs, {
      name: 'mesh-png',
      filename: 'mesh.png',
      title: 'the mesh',
      bytes: png,
    });
    assert.equal(slack.calls.length, calls);
  });

  it('a completion whose answer was lost is found in the thread on retry, not uploaded twice', async () => {
    const runs = memoryRuns();
    const file = { name: 'mesh-csv', filename: 'mesh.csv', title: 'csv', bytes: Buffer.from('from,to\n') };
    slack.failNext('files.completeUploadExternal', { status: 500, applied: true });
    await assert.rejects(uploadToThread({ client, runs }, run('r2'), parentTs, file));
    assert.equal(runs.uploads.get('r2/mesh-csv')?.state, 'pending');
    await uploadToThread({ client, runs }, run('r2'), parentTs, file);
    assert.equal(runs.uploads.get('r2/mesh-csv')?.state, 'done');
    const shared = slack.replies(parentTs).filter((m) => m.files?.some((f) => f.filename === 'mesh.csv'));
    assert.equal(shared.length, 1, 'one message with the CSV');
  });

  it('a completion that never reached Slack is redone with a fresh upload', async () => {
    const runs = memoryRuns();
    const file = { name: 'x', filename: 'x.csv', title: 'x', bytes: Buffer.from('a,b\n') };
    slack.failNext('files.completeUploadExternal', { error: 'internal_error' });
    await assert.rejects(uploadToThread({ client, runs }, run('r3'), parentTs, file));
    await uploadToThread({ client, runs }, run('r3'), parentTs, file);
    const shared = slack.replies(parentTs).filter((m) => m.files?.some((f) => f.filename === 'x.csv'));
    assert.equal(shared.length, 1);
  });

  it('refuses an upload URL that is neither https nor loopback', async () => {
    const runs = memoryRuns();
    const fake = new WebClient('xoxb-test', { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    fake.files.getUploadURLExternal = (async () => ({
      ok: true,
      upload_url: 'http://198.18.0.99/upload',
      file_id: 'F1',
    })) as never;
    await assert.rejects(
      uploadToThread({ client: fake, runs }, run('r4'), parentTs, {
        name: 'y',
        filename: 'y',
        title: 'y',
        bytes: Buffer.from('1'),
      }),
      /must be https/,
    );
  });
});
