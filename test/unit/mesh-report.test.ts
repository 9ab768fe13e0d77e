import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { MeshChunkResult, OutboxMessage, ProbeJobData } from '../../src/queue/job-types.js';
import { culpritRunId, reportMesh } from '../../src/worker/mesh-report.js';

const nodes = ['cp-1', 'node-1', 'node-2', 'node-3'].map((name, i) => ({
  name,
  role: i === 0 ? ('control-plane' as const) : ('worker' as const),
}));

function chunkFor(sources: string[], bad: string, unreachable: string[] = []): MeshChunkResult {
  const rows: MeshChunkResult['rows'] = Object.fromEntries(
    sources
      .filter((s) => !unreachable.includes(s))
      .map((s) => {
        const row = (overlay: boolean) =>
          nodes
            .map((n) => (n.name === s ? 's' : overlay && (n.name === bad || s === bad) ? 't' : 'o'))
            .join('');
        return [
          s,
          {
            'underlay-icmp': row(false),
            'underlay-tcp': row(false),
            'overlay-flannel': row(true),
            'overlay-pod': row(true),
            'apiserver-tcp': 'o',
          },
        ];
      }),
  );
  return {
    rows,
    unreachable: Object.fromEntries(unreachable.map((u) => [u, 'node-unreachable: refused'])),
    details: {},
    startedMs: 0,
    endedMs: 1,
  };
}

function deps() {
  const outbox: OutboxMessage[] = [];
  const probes: ProbeJobData[] = [];
  const children: { runId: string; node: string; parentRun: string }[] = [];
  const audit: AuditEvent[] = [];
  return {
    outbox,
    probes,
    children,
    audit,
    deps: {
      enqueueOutbox: async (...m: OutboxMessage[]) => void outbox.push(...m),
      enqueueProbe: async (p: ProbeJobData) => void probes.push(p),
      createChildRun: async (r: { runId: string; node: string; parentRun: string }) => void children.push(r),
      audit: { record: async (e: AuditEvent) => void audit.push(e) },
      clock: { now: () => Date.parse('2026-11-25T10:00:02Z'), isoNow: () => '2026-11-25T10:00:02.000Z' },
    },
  };
}

const job = {
  runId: 'run-1',
  nodes,
  requestedBy: 'U1',
  channel: 'C1',
  requestedAt: '2026-11-25T10:00:00.000Z',
};

describe('mesh report', () => {
  it('joins the chunks, audits, posts summary and files, and diagnoses each culprit in the thread', async () => {
    const d = deps();
    const result = await reportMesh(d.deps, job, [
      chunkFor(['cp-1', 'node-1'], 'node-2'),
      chunkFor(['node-2', 'node-3'], 'node-2'),
    ]);
    assert.equal(result.matrix.durationMs, 2000);
    assert.deepEqual(result.analysis.culprits, ['node-2']);
    assert.deepEqual(
      d.outbox.map((m) => m.kind),
      ['mesh-summary', 'mesh-files'],
    );
    assert.deepEqual(d.children, [
      {
        runId: culpritRunId('run-1', 0),
        node: 'node-2',
        channel: 'C1',
        requestedBy: 'U1',
        createdAt: '2026-11-25T10:00:02.000Z',
        parentRun: 'run-1',
      },
    ]);
    assert.deepEqual(
      d.probes.map((p) => [p.runId, p.node]),
      [['run-1-c0', 'node-2']],
    );
    assert.equal(d.audit[0]?.type, 'mesh.finished');
    assert.match(d.audit[0]!.summary, /mesh of 4 nodes: faulty .* diagnosing node-2/);
  });

  it('a chunk that never reported leaves its sources unknown (said so), not healthy', async () => {
    const d = deps();
    const result = await reportMesh(d.deps, job, [chunkFor(['cp-1', 'node-1'], 'none')]);
    assert.equal(result.matrix.unreachable['node-2'], 'its probe job did not finish');
    assert.equal(result.matrix.rows['underlay-icmp'][2], 'uusu');
    assert.equal(result.analysis.verdict, 'faulty');
    assert.deepEqual(result.analysis.culprits, ['node-2', 'node-3']);
  });
});
