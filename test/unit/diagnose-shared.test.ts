import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedClock } from '../../src/core/clock.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { ClusterFacts } from '../../src/probes/cluster-facts.js';
import { COALESCE_WINDOW_MS, createNodeDiagnoser } from '../../src/worker/diagnose-node.js';
import { clusterFacts } from '../support/facts-builder.js';
import { testInventory } from '../support/test-inventory.js';

const inventory = testInventory();

/** A collector whose runs the test finishes by hand, counting how many were started per node. */
function gatedCollector() {
  const started: string[] = [];
  const pending: { node: string; finish: (f: ClusterFacts | Error) => void }[] = [];
  const collect = (target: { name: string }) =>
    new Promise<ClusterFacts>((resolve, reject) => {
      started.push(target.name);
      pending.push({
        node: target.name,
        finish: (f) => (f instanceof Error ? reject(f) : resolve(f)),
      });
    });
  return { started, pending, collect };
}

/** A diagnoser with a clock the test moves and a collector it finishes by hand. */
function sharedDiagnoser() {
  const clock = fixedClock(0);
  const c = gatedCollector();
  const nodes = createNodeDiagnoser({
    inventory,
    collect: c.collect,
    diagnose,
    monotonicMs: clock.monotonicMs,
  });
  return { clock, c, nodes };
}

describe('identical concurrent probe runs of one node share one collection', () => {
  const node3 = inventory.nodes[1]!;
  const cp1 = inventory.nodes[0]!;

  it('runs that start within the window join the one in flight; each gets the same facts', async () => {
    const { clock, c, nodes } = sharedDiagnoser();
    const a = nodes.diagnoseShared(node3);
    clock.advance(COALESCE_WINDOW_MS - 1);
    const b = nodes.diagnoseShared(node3);
    const other = nodes.diagnoseShared(cp1);
    assert.deepEqual(c.started, ['node-3', 'cp-1'], 'one collection per node');
    const facts = clusterFacts();
    for (const p of c.pending) p.finish(facts);
    const [ra, rb] = await Promise.all([a, b, other]);
    assert.equal(ra.facts, rb.facts);
    assert.equal(ra.report.verdict, rb.report.verdict);
  });

  it('a run older than the window, a finished run and the unshared path each start a new collection', async () => {
    const { clock, c, nodes } = sharedDiagnoser();
    const first = nodes.diagnoseShared(node3);
    clock.advance(COALESCE_WINDOW_MS + 1);
    const late = nodes.diagnoseShared(node3);
    const own = nodes.diagnose(node3); // the executor's check after a fix: never an earlier look
    // The late request gets the next run, which starts when the one in flight ends.
    assert.deepEqual(c.started, ['node-3', 'node-3']);
    for (const p of c.pending.splice(0)) p.finish(clusterFacts());
    await Promise.all([first, own]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(c.started.length, 3);
    c.pending.splice(0)[0]!.finish(clusterFacts());
    await late;
    const again = nodes.diagnoseShared(node3);
    assert.equal(c.started.length, 4, 'a finished run is not reused');
    c.pending[0]!.finish(clusterFacts());
    await again;
  });

  it('a failed run fails every caller that joined it, and the next run starts afresh', async () => {
    const { c, nodes } = sharedDiagnoser();
    const a = nodes.diagnoseShared(node3);
    const b = nodes.diagnoseShared(node3);
    c.pending[0]!.finish(new Error('bug'));
    await assert.rejects(a, /bug/);
    await assert.rejects(b, /bug/);
    const next = nodes.diagnoseShared(node3);
    assert.equal(c.started.length, 2);
    c.pending[1]!.finish(clusterFacts());
    assert.equal((await next).report.node, 'node-3');
  });

  it('under a burst a node has one run in flight and one waiting, shared by every late request', async () => {
    const { clock, c, nodes } = sharedDiagnoser();
    const first = nodes.diagnoseShared(node3);
    const late: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(COALESCE_WINDOW_MS + 1);
      late.push(nodes.diagnoseShared(node3));
    }
    assert.deepEqual(c.started, ['node-3'], 'nothing else starts while the first is in flight');
    const facts = clusterFacts();
    c.pending.splice(0)[0]!.finish(facts);
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(c.started, ['node-3', 'node-3'], 'one run for the five late requests');
    // Within the window of that run, a request joins it; it is not older than the request.
    clock.advance(COALESCE_WINDOW_MS - 1);
    late.push(nodes.diagnoseShared(node3));
    const second = clusterFacts();
    c.pending.splice(0)[0]!.finish(second);
    const results = (await Promise.all(late)) as { facts: ClusterFacts }[];
    assert.ok(results.every((r) => r.facts === second));
    assert.equal(c.started.length, 2);
  });
});
