import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { parseInventory } from '../../src/config/load-inventory.js';
import type { MeshChunkResult, MeshProbeJobData, MeshReportJobData } from '../../src/queue/job-types.js';
import { meshChunks, planMesh, unservedReason } from '../../src/worker/mesh-plan.js';
import { reportMesh } from '../../src/worker/mesh-report.js';

const zoneOf = (n: string) => ({ 'a-1': 'a', 'a-2': 'a', 'a-3': 'a', 'b-1': 'b' })[n];

describe('mesh and zones: chunks per zone', () => {
  it('groups sources by zone and chunks within each zone (a chunk never mixes zones)', () => {
    const { chunks, unserved } = meshChunks(
      ['cp-1', 'a-1', 'b-1', 'a-2', 'x-1', 'a-3'],
      zoneOf,
      () => true,
      2,
    );
    assert.deepEqual(chunks, [
      { zone: undefined, sources: ['cp-1', 'x-1'] },
      { zone: 'a', sources: ['a-1', 'a-2'] },
      { zone: 'a', sources: ['a-3'] },
      { zone: 'b', sources: ['b-1'] },
    ]);
    assert.deepEqual(unserved, {});
  });

  it('a zone without a live worker gets no chunk: its sources are unserved, said why', () => {
    const { chunks, unserved } = meshChunks(['cp-1', 'a-1', 'b-1'], zoneOf, (z) => z !== 'b');
    assert.deepEqual(
      chunks.map((c) => c.zone),
      [undefined, 'a'],
    );
    assert.deepEqual(unserved, { 'b-1': 'no live worker in zone b (start one with NETCHECK_ZONE=b)' });
    assert.match(unservedReason(undefined), /without a zone .*without NETCHECK_ZONE/);
  });

  it('planMesh asks each zone once and puts the zone on every chunk and the unserved on the report', async () => {
    const inventory = parseInventory(
      `ssh: { user: root, privateKeyPath: k, knownHostsPath: h }
cluster: { podNetworkCidr: 10.244.0.0/16 }
nodes:
  - { name: cp-1, host: 198.18.0.10, role: control-plane }
  - { name: node-1, host: 198.18.0.11, role: worker, zone: a }
  - { name: node-2, host: 198.18.0.12, role: worker, zone: b }
`,
      '/x/inventory.yaml',
    );
    const asked: (string | undefined)[] = [];
    let flow: { report: MeshReportJobData; chunks: readonly MeshProbeJobData[] } | undefined;
    const audit: AuditEvent[] = [];
    const n = await planMesh(
      {
        inventory,
        kubeNodes: async () => undefined,
        addFlow: async (report, chunks) => {
          flow = { report, chunks };
        },
        audit: { record: async (e: AuditEvent) => void audit.push(e) },
        liveWorkers: async (zone) => {
          asked.push(zone);
          return zone === 'b' ? [] : ['w-1'];
        },
      },
      {
        runId: 'run-1',
        nodes: ['cp-1', 'node-1', 'node-2'],
        requestedBy: 'U1',
        channel: 'C1',
        requestedAt: '2026-11-25T10:00:00.000Z',
      },
    );
    assert.equal(n, 2);
    assert.deepEqual(asked, [undefined, 'a', 'b']);
    assert.deepEqual(
      flow!.chunks.map((c) => [c.chunk, c.zone, c.sources]),
      [
        [0, undefined, ['cp-1']],
        [1, 'a', ['node-1']],
      ],
    );
    assert.equal(flow!.chunks[0]!.peers.length, 3, 'every node stays a peer, whatever its zone');
    assert.deepEqual(flow!.report.unserved, { 'node-2': unservedReason('b') });
    assert.match(audit[0]!.summary, /not probed from \(no live worker in their zone\): node-2/);
  });
});

describe('mesh and zones: the report', () => {
  const nodes = ['cp-1', 'node-1', 'node-2'].map((name, i) => ({
    name,
    role: i === 0 ? ('control-plane' as const) : ('worker' as const),
  }));
  const okRow = (s: string) => nodes.map((n) => (n.name === s ? 's' : 'o')).join('');
  const chunk = (sources: string[], worker: string, zone: string | undefined): MeshChunkResult => ({
    rows: Object.fromEntries(
      sources.map((s) => [
        s,
        {
          'underlay-icmp': okRow(s),
          'underlay-tcp': okRow(s),
          'overlay-flannel': okRow(s),
          'overlay-pod': okRow(s),
          'apiserver-tcp': 'o',
        },
      ]),
    ),
    unreachable: {},
    details: {},
    startedMs: 0,
    endedMs: 1,
    worker: { id: worker, zone },
  });

  it('an unserved node: row unknown, named with its zone, not a culprit, not a fault; the audit says who ran each chunk', async () => {
    const audit: AuditEvent[] = [];
    const probes: unknown[] = [];
    const result = await reportMesh(
      {
        enqueueOutbox: async () => undefined,
        enqueueProbe: async (p) => void probes.push(p),
        createChildRun: async () => undefined,
        audit: { record: async (e: AuditEvent) => void audit.push(e) },
        clock: { now: () => Date.parse('2026-11-25T10:00:02Z'), isoNow: () => '2026-11-25T10:00:02.000Z' },
      },
      {
        runId: 'run-1',
        nodes,
        requestedBy: 'U1',
        channel: 'C1',
        requestedAt: '2026-11-25T10:00:00.000Z',
        unserved: { 'node-2': unservedReason('b') },
      },
      [chunk(['cp-1'], 'w-default', undefined), chunk(['node-1'], 'w-a', 'a')],
    );
    assert.deepEqual(result.matrix.unreachable, {}, 'not read as an SSH failure');
    assert.deepEqual(result.matrix.unserved, { 'node-2': unservedReason('b') });
    assert.equal(result.matrix.rows['underlay-icmp'][2], 'uus');
    assert.equal(result.analysis.verdict, 'unknown');
    assert.match(result.analysis.headline, /could not be checked \(no live worker in the zone of node-2\)/);
    assert.deepEqual(
      result.analysis.findings.map((f) => f.text),
      ['node-2: its row is unknown — no live worker in zone b (start one with NETCHECK_ZONE=b)'],
    );
    assert.deepEqual(result.analysis.culprits, []);
    assert.equal(probes.length, 0, 'no diagnosis queued for a zone nobody serves');
    const finished = audit.find((e) => e.type === 'mesh.finished')!;
    assert.deepEqual((finished.data as { chunks: unknown }).chunks, [
      { worker: 'w-default', zone: null, sources: ['cp-1'] },
      { worker: 'w-a', zone: 'a', sources: ['node-1'] },
    ]);
  });
});
