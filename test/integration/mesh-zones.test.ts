import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import { zoneQueueName } from '../../src/queue/zone-routing.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { ZoneLiveness } from '../../src/store/zone-liveness.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, startHarness } from '../support/netcheck-harness.js';
import { spawnWorker } from '../support/worker-process.js';

// Lab `ncmz` on 198.18.150.0/24: cp-1 (no zone, served by the harness' `all` process), node-1 in
// zone a, node-2 in zone b; zone workers are processes of their own, as on machines in the zone.
const CHANNEL = 'C0MESHZONE';

function startZoneWorker(h: Harness, zone: string): ChildProcess {
  const child = spawnWorker(h, { NETCHECK_ZONE: zone, LOG_LEVEL: 'warn' }, ['ignore', 'ignore', 'pipe']);
  // Kept for the failure message: a worker that never beats says why on stderr.
  child.stderr?.on('data', (d: Buffer) => {
    stderr[zone] = `${stderr[zone] ?? ''}${d}`.slice(-4000);
  });
  return child;
}
const stderr: Record<string, string> = {};

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

interface ChunkRun {
  worker: string | null;
  zone: string | null;
  sources: string[];
}

describe('/netcheck mesh with zones (ncmz)', { timeout: 300_000 }, () => {
  let h: Harness;
  let redis: Redis;
  let liveness: ZoneLiveness;
  let audit: AuditStore;
  let zoneA: ChildProcess | undefined;
  let zoneB: ChildProcess | undefined;

  async function waitForWorkers(zone: string, count: number): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if ((await liveness.liveWorkers(zone)).length === count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`zone ${zone} never had ${count} live worker(s); its stderr: ${stderr[zone] ?? ''}`);
  }

  /** A signed `/netcheck mesh`, until its summary is in the thread. */
  async function mesh(): Promise<{ parent: FakeMessage; summary: FakeMessage }> {
    const before = new Set(h.slack.topLevel(CHANNEL).map((m) => m.ts));
    const res = await h.command('mesh', { channel: CHANNEL });
    assert.equal(res.status, 200);
    assert.equal(res.body, '', `/netcheck mesh is accepted silently (${res.body})`);
    const parent = await h.slack.waitFor(
      () => h.slack.topLevel(CHANNEL).find((m) => !before.has(m.ts)),
      20_000,
      'the mesh parent',
    );
    const summary = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => m.text.includes('Mesh of')),
      40_000,
      'the mesh summary',
    );
    return { parent, summary };
  }

  /** Who ran each chunk of the latest mesh (its `mesh.finished` audit entry). */
  async function chunkRuns(): Promise<ChunkRun[]> {
    const finished = (await audit.readAll()).filter((e) => e.type === 'mesh.finished').at(-1);
    assert.ok(finished, 'a mesh.finished audit entry');
    return (finished.data as { chunks: ChunkRun[] }).chunks;
  }

  const ranOn = (runs: ChunkRun[], source: string) => {
    const run = runs.find((r) => r.sources.includes(source));
    assert.ok(run, `a chunk probed from ${source}: ${JSON.stringify(runs)}`);
    return run;
  };

  before(async () => {
    h = await startHarness({
      labId: 'ncmz',
      netIndex: 150,
      workers: 2,
      zones: { 'node-1': 'a', 'node-2': 'b' },
    });
    redis = new Redis(h.redis.url);
    liveness = new ZoneLiveness(redis);
    audit = new AuditStore(redis, redis, () => new Date().toISOString());
    zoneA = startZoneWorker(h, 'a');
    await waitForWorkers('a', 1);
  });
  after(async () => {
    await stop(zoneA);
    await stop(zoneB);
    redis?.disconnect();
    await h?.close();
  });

  it('a zone with no live worker: the mesh completes, its node’s row unknown and the zone named', async () => {
    const { summary } = await mesh();
    assert.match(
      summary.text,
      /node-2: its row is unknown — no live worker in zone b \(start one with NETCHECK_ZONE=b\)/,
    );
    assert.match(summary.text, /large_yellow_circle/);
    assert.match(summary.text, /underlay\*: 4 ok, 0 fail, 0 timeout, 2 unknown/);
    assert.match(summary.text, /apiserver\*: 2 ok, 0 fail, 0 timeout, 1 unknown/);
    assert.doesNotMatch(summary.text, /Diagnosing/, 'no diagnosis queued for a zone nobody serves');
    const runs = await chunkRuns();
    assert.equal(runs.length, 2, JSON.stringify(runs));
    assert.equal(ranOn(runs, 'node-1').zone, 'a');
    assert.match(ranOn(runs, 'node-1').worker ?? '', new RegExp(`-${zoneA!.pid}-`));
    const queue = new Queue(zoneQueueName(QUEUE_NAMES.meshProbe, 'b'), {
      connection: { url: h.redis.url },
      prefix: KEY_PREFIX,
    });
    try {
      const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
      assert.equal(
        Object.values(counts).reduce((a, b) => a + b, 0),
        0,
        'no chunk queued for zone b',
      );
    } finally {
      await queue.close();
    }
  });

  it('with a worker in each zone: every row ok, and each chunk ran on a worker of its own zone', async () => {
    zoneB = startZoneWorker(h, 'b');
    await waitForWorkers('b', 1);
    const { summary } = await mesh();
    assert.match(summary.text, /large_green_circle/);
    assert.match(summary.text, /underlay\*: 6 ok, 0 fail, 0 timeout, 0 unknown/);
    assert.match(summary.text, /overlay\*: 6 ok, 0 fail, 0 timeout, 0 unknown/);
    assert.match(summary.text, /apiserver\*: 3 ok/);
    const runs = await chunkRuns();
    assert.equal(runs.length, 3, JSON.stringify(runs));
    const a = ranOn(runs, 'node-1');
    const b = ranOn(runs, 'node-2');
    const unzoned = ranOn(runs, 'cp-1');
    assert.deepEqual([a.sources, b.sources, unzoned.sources], [['node-1'], ['node-2'], ['cp-1']]);
    assert.equal(a.zone, 'a');
    assert.match(a.worker ?? '', new RegExp(`-${zoneA!.pid}-`), `node-1's chunk on the zone-a worker`);
    assert.equal(b.zone, 'b');
    assert.match(b.worker ?? '', new RegExp(`-${zoneB!.pid}-`), `node-2's chunk on the zone-b worker`);
    assert.equal(unzoned.zone, null);
    assert.match(
      unzoned.worker ?? '',
      new RegExp(`-${process.pid}-`),
      'the unzoned chunk on the worker without NETCHECK_ZONE',
    );
  });
});
