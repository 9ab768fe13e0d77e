import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Inventory } from '../../src/config/inventory.js';
import { fixedClock } from '../../src/core/clock.js';
import { sharedRuns } from '../../src/core/shared-runs.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { NodeFacts } from '../../src/probes/cluster-facts.js';
import { type CollectDeps, collectFacts, planKey } from '../../src/probes/collect-facts.js';
import { planProbes } from '../../src/probes/probe-plan.js';
import type { ProbeTransport } from '../../src/probes/probe-transport.js';
import { COALESCE_WINDOW_MS, createNodeDiagnoser } from '../../src/worker/diagnose-node.js';
import { testInventory } from '../support/test-inventory.js';

const inventory = testInventory(['node-1', 'node-3']);
const [cp1, node1, node3] = inventory.nodes as [
  Inventory['nodes'][number],
  Inventory['nodes'][number],
  Inventory['nodes'][number],
];

/**
 * A transport whose bundles the test lets finish: each records the node and whether it was the
 * node's full plan (the target's: it has network probes) or a peer's. The bundle prints nothing, so
 * each collection records its probes as not come back, which is all these tests need.
 */
function gatedTransport() {
  const ran: string[] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const transport: ProbeTransport = {
    connect: async () => undefined,
    exec: async (target, command) => {
      ran.push(`${target.name}:${command.text.includes('ping-control-plane') ? 'target' : 'peer'}`);
      await gate;
      return { exitCode: 0, stdout: '', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
    },
  };
  return { ran, open, transport };
}

function deps(transport: ProbeTransport, clock = fixedClock(0)) {
  const base: CollectDeps = {
    transport,
    kube: async () => ({ status: 'disabled' }),
    now: clock.monotonicMs,
    isoNow: clock.isoNow,
  };
  const shared = sharedRuns<NodeFacts>({ windowMs: COALESCE_WINDOW_MS, monotonicMs: clock.monotonicMs });
  return { clock, base, sharing: { ...base, shared } };
}

/** Collects for node-3 and node-1 at once; the bundles finish once both runs have started them. */
async function bothAtOnce(t: ReturnType<typeof gatedTransport>, collect: CollectDeps) {
  const runs = [collectFacts(collect, inventory, node3), collectFacts(collect, inventory, node1)];
  await new Promise((resolve) => setImmediate(resolve));
  t.open();
  return Promise.all(runs);
}

describe("runs of different targets share a peer's collection", () => {
  it('a peer plan is the same whatever the target; the target plan is its own', () => {
    const forNode3 = new Map(planProbes(inventory, node3).map((p) => [p.node.name, planKey(p)]));
    const forNode1 = new Map(planProbes(inventory, node1).map((p) => [p.node.name, planKey(p)]));
    assert.equal(forNode3.get('cp-1'), forNode1.get('cp-1'));
    assert.notEqual(
      forNode3.get('node-3'),
      forNode1.get('node-3'),
      "node-3's full plan is not its peer plan",
    );
    assert.notEqual(forNode3.get('node-1'), forNode1.get('node-1'));
  });

  it('two targets in flight together run the control plane once, and each node once per plan', async () => {
    const t = gatedTransport();
    const [a, b] = await bothAtOnce(t, deps(t.transport).sharing);
    assert.deepEqual(t.ran.sort(), [
      'cp-1:peer',
      'node-1:peer',
      'node-1:target',
      'node-3:peer',
      'node-3:target',
    ]);
    assert.equal(a!.nodes['cp-1'], b!.nodes['cp-1'], 'the same collection of cp-1 in both');
    assert.equal(a!.target, 'node-3');
    assert.equal(b!.target, 'node-1');
    // Each run still has its target's full plan: node-3's network probes are in its own facts only.
    assert.ok('ping-control-plane' in a!.nodes['node-3']!.outputs);
    assert.ok(!('ping-control-plane' in b!.nodes['node-3']!.outputs));
  });

  it('without the shared runs (the check after a fix) every collection is its own', async () => {
    const t = gatedTransport();
    await bothAtOnce(t, deps(t.transport).base);
    assert.equal(t.ran.filter((r) => r === 'cp-1:peer').length, 2);
  });

  it('a collection that started more than the window ago is not joined', async () => {
    const t = gatedTransport();
    const { clock, sharing } = deps(t.transport);
    const first = collectFacts(sharing, inventory, node3);
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(COALESCE_WINDOW_MS + 1);
    const late = collectFacts(sharing, inventory, node1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(
      t.ran.filter((r) => r === 'cp-1:peer').length,
      1,
      "cp-1's next run waits for the one in flight",
    );
    t.open();
    await first;
    await late;
    assert.equal(t.ran.filter((r) => r === 'cp-1:peer').length, 2, 'then runs for the late target');
  });

  it("the diagnoser shares only for shared looks; the executor's check is fresh", async () => {
    const seen: boolean[] = [];
    const t = gatedTransport();
    t.open();
    const { base } = deps(t.transport);
    const nodes = createNodeDiagnoser({
      inventory,
      collect: (target, opts) => {
        seen.push(opts.fresh);
        return collectFacts(base, inventory, target);
      },
      diagnose,
      monotonicMs: () => 0,
    });
    await nodes.diagnoseShared(cp1);
    await nodes.diagnose(cp1);
    await nodes.diagnoseByName('cp-1');
    assert.deepEqual(seen, [false, true, true]);
  });
});
