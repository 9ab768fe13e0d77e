import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildBundle, QUICK_LANES, quickLanes } from '../../src/probes/probe-bundle.js';
import { planProbes } from '../../src/probes/probe-plan.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { sh } from '../../src/ssh/remote-command.js';
import { testInventory } from '../support/test-inventory.js';

const costOf = (p: { cost?: number }) => p.cost ?? 1;

describe('the quick reads spread over lanes by their cost', () => {
  const inventory = testInventory(['node-1', 'node-2', 'node-3']);
  const plan = planProbes(inventory, inventory.nodes.find((n) => n.name === 'node-3')!)[0]!;
  const lanes = quickLanes(plan.probes, QUICK_LANES);
  const loads = lanes.map((lane) => lane.reduce((sum, { p }) => sum + costOf(p), 0));

  it("every quick read of the target's plan runs exactly once, each lane in plan order", () => {
    const quick = plan.probes.flatMap((p, i) => (p.quick ? [i] : []));
    assert.deepEqual(
      lanes.flatMap((lane) => lane.map(({ i }) => i)).sort((a, b) => a - b),
      quick,
    );
    for (const lane of lanes)
      assert.deepEqual(
        lane.map(({ i }) => i),
        [...lane.map(({ i }) => i)].sort((a, b) => a - b),
      );
    assert.equal(lanes.length, QUICK_LANES);
  });

  it('the heavy reads (kernel log, systemctl, the nftables dump) are in three different lanes, and no lane carries much more than another', () => {
    const laneOf = (key: string) => lanes.findIndex((lane) => lane.some(({ p }) => p.key === key));
    const heavy = [PROBE.kernelLog, PROBE.services, PROBE.nftRuleset].map(laneOf);
    assert.equal(new Set(heavy).size, 3, `lanes ${heavy}`);
    const heaviest = Math.max(...plan.probes.filter((p) => p.quick).map(costOf));
    // Heaviest first, each to the lightest lane: lanes differ by at most one read's cost.
    assert.ok(Math.max(...loads) - Math.min(...loads) <= heaviest, `loads ${loads}`);
  });

  it('reads with no cost count alike: dealt evenly, in plan order within each lane', () => {
    const probes = ['a', 'b', 'c', 'd', 'e'].map((key) => ({
      key,
      command: sh`true`,
      timeoutMs: 1000,
      quick: true,
    }));
    assert.deepEqual(
      quickLanes(probes, 3).map((lane) => lane.map(({ p }) => p.key)),
      [['a', 'd'], ['b', 'e'], ['c']],
    );
  });
});

describe("the bundle's last line", () => {
  it('is what it prints last, once, after every frame', () => {
    const probes = [
      { key: 'net', command: sh`echo n`, timeoutMs: 3000 },
      { key: 'local', command: sh`echo l`, timeoutMs: 3000, quick: true },
    ];
    const bundle = buildBundle(probes, undefined);
    const stdout = execFileSync('sh', ['-c', bundle.command.text], { encoding: 'utf8', timeout: 20_000 });
    assert.ok(stdout.endsWith(bundle.lastLine), stdout.slice(-200));
    assert.equal(stdout.split(bundle.lastLine).length, 2);
    assert.ok(stdout.indexOf(`BEGIN local `) < stdout.indexOf(bundle.lastLine));
  });
});
