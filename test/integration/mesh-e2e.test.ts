import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFault, clearFault, type FaultSpec, nodeRun } from '../../src/lab/lab.js';
import { pngSize } from '../../src/slack/mesh/mesh-png.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

// Lab `ncmesh` on 198.18.130.0/24: cp-1 + node-1..node-4.
const CHANNEL = 'C0MESH';

interface MeshThread {
  parent: FakeMessage;
  summary: FakeMessage;
  picture: FakeMessage;
  csv: FakeMessage;
  replies: () => FakeMessage[];
}

async function mesh(h: Harness, text = 'mesh', nodes = 5): Promise<MeshThread> {
  const before = new Set(h.slack.topLevel(CHANNEL).map((m) => m.ts));
  const res = await h.command(text, { channel: CHANNEL });
  assert.equal(res.status, 200);
  assert.equal(res.body, '', `/netcheck ${text} is accepted silently (${res.body})`);
  const parent = await h.slack.waitFor(
    () => h.slack.topLevel(CHANNEL).find((m) => !before.has(m.ts)),
    20_000,
    'the mesh parent',
  );
  assert.match(parent.text, new RegExp(`mesh of ${nodes} nodes`));
  const replies = () => h.slack.replies(parent.ts);
  const summary = await h.slack.waitFor(
    () => replies().find((m) => m.text.includes('Mesh of')),
    30_000,
    'summary',
  );
  const picture = await h.slack.waitFor(
    () => replies().find((m) => m.files?.some((f) => f.filename.endsWith('.png'))),
    30_000,
    'the heatmap upload',
  );
  const csv = await h.slack.waitFor(
    () => replies().find((m) => m.files?.some((f) => f.filename.endsWith('.csv'))),
    30_000,
    'the CSV upload',
  );
  return { parent, summary, picture, csv, replies };
}

/** The culprit's single-node report in the mesh thread (the report of `/netcheck <node>`). */
async function culpritReport(h: Harness, t: MeshThread, node: string): Promise<FakeMessage> {
  return h.slack.waitFor(
    () =>
      t
        .replies()
        .find(
          (m) =>
            m.blocks.length > 0 && messageText(m).includes(`on *${node}*`) && !m.text.includes('Mesh of'),
        ),
    45_000,
    `the diagnosis of ${node} in the mesh thread`,
  );
}

describe('/netcheck mesh on the lab (ncmesh)', { timeout: 600_000 }, () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncmesh', netIndex: 130, workers: 4 });
  });
  after(async () => {
    await h?.close();
  });

  it('a healthy cluster: every cell ok, no culprits, a picture and a CSV in the thread', async () => {
    const t = await mesh(h);
    assert.match(t.summary.text, /large_green_circle/);
    assert.match(t.summary.text, /underlay\*: 20 ok, 0 fail, 0 timeout, 0 unknown/);
    assert.match(t.summary.text, /overlay\*: 20 ok/);
    assert.match(t.summary.text, /apiserver\*: 5 ok/);
    assert.doesNotMatch(t.summary.text, /Diagnosing/);
    const png = t.picture.files![0]!;
    assert.deepEqual(
      [...png.bytes!.subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      'the upload URL received a PNG',
    );
    const size = pngSize(png.bytes!);
    assert.ok(size && size.width > 500 && size.height > 200, JSON.stringify(size));
    assert.match(
      t.picture.text,
      new RegExp(`Heatmap \\(${size!.width}×${size!.height}\\)`),
      'the size the SVG promised',
    );
    const lines = t.csv.files![0]!.bytes!.toString('utf8').trim().split('\n');
    assert.equal(lines.length, 1 + 5 * 4 + 5);
    assert.ok(
      lines.slice(1).every((l) => !/,(fail|timeout|unknown),/.test(l)),
      'every CSV cell ok',
    );
    assert.match(t.parent.text, /mesh of 5 nodes/);
    await h.slack.waitFor(
      () => t.parent.edits > 0 && t.parent.text.includes('large_green_circle'),
      10_000,
      'verdict',
    );
    // Each upload went through Slack's external flow exactly once.
    const completes = h.slack
      .callsOf('files.completeUploadExternal')
      .filter((c) => c.params.thread_ts === t.parent.ts);
    assert.equal(completes.length, 2);
  });

  it('vxlan-8472-blocked on one node breaks its row and column on the overlay: named, then diagnosed', async () => {
    const spec: FaultSpec = { id: 'vxlan-8472-blocked', node: 'node-2' };
    await addFault({ labId: h.lab.labId }, spec);
    try {
      const t = await mesh(h);
      assert.match(
        t.summary.text,
        /node-2: its row and column are bad .* on the overlay — underlay fine, overlay failing: VXLAN/,
      );
      assert.match(t.summary.text, /underlay\*: 20 ok/);
      assert.match(t.summary.text, /overlay\*: 12 ok, 0 fail, 8 timeout/);
      assert.match(t.summary.text, /Diagnosing node-2$/m);
      assert.match(messageText(t.summary), /Diagnosing\* \*node-2\*/);
      const report = await culpritReport(h, t, 'node-2');
      assert.match(messageText(report), /vxlan-8472-blocked/);
    } finally {
      await clearFault({ labId: h.lab.labId }, spec);
    }
  });

  it('a pair-specific drop (node-1 drops everything from node-3) is a pair finding, not a node', async () => {
    const node3 = h.lab.specs.find((s) => s.name === 'node-3')!.host;
    const rule = [
      'INPUT',
      '-s',
      `${node3}/32`,
      '-m',
      'comment',
      '--comment',
      'netcheck-test-pair-drop',
      '-j',
      'DROP',
    ];
    await nodeRun(h.lab, 'node-1', ['iptables', '-I', ...rule]);
    try {
      const t = await mesh(h);
      assert.match(t.summary.text, /node-1 ↔ node-3: only this pair fails on the underlay and overlay/);
      assert.doesNotMatch(t.summary.text, /its row|its column/);
      assert.match(t.summary.text, /Diagnosing node-1, node-3$/m);
    } finally {
      await nodeRun(h.lab, 'node-1', ['iptables', '-D', ...rule]);
    }
  });

  it('an unreachable node (sshd stopped): its row unknown, it is named and diagnosed', async () => {
    const spec: FaultSpec = { id: 'node-unreachable', node: 'node-4' };
    await addFault({ labId: h.lab.labId }, spec);
    try {
      const t = await mesh(h);
      assert.match(t.summary.text, /node-4: netcheck cannot reach it over SSH/);
      assert.match(t.summary.text, /underlay\*: 16 ok, 0 fail, 0 timeout, 4 unknown/);
      assert.match(t.summary.text, /apiserver\*: 4 ok, 0 fail, 0 timeout, 1 unknown/);
      const report = await culpritReport(h, t, 'node-4');
      assert.match(messageText(report), /node-unreachable/);
    } finally {
      await clearFault({ labId: h.lab.labId }, spec);
    }
  });

  it('a subset, and unknown names refused with the valid ones listed', async () => {
    const t = await mesh(h, 'mesh cp-1 node-1 node-2', 3);
    assert.match(t.summary.text, /underlay\*: 6 ok/);
    const res = await h.command('mesh cp-1 node-9 nodex', { channel: CHANNEL });
    const text = (JSON.parse(res.body) as { text: string }).text;
    assert.match(text, /not in the inventory: "node-9", "nodex"\. Nothing was run/);
    assert.match(text, /Valid nodes: `cp-1`, `node-1`, `node-2`, `node-3`, `node-4`\./);
  });
});
