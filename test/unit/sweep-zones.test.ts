import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Inventory } from '../../src/config/inventory.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { sweepQueueName, sweepSchedulerId } from '../../src/queue/sweep-queue.js';
import { zoneNodes } from '../../src/queue/zone-routing.js';
import type { ProblemRecord } from '../../src/store/sweep-state-store.js';
import { wantedConditions } from '../../src/worker/sweep-conditions.js';
import { nextProblemState } from '../../src/worker/sweep-flap.js';
import { observeSweep, type SweptNode } from '../../src/worker/sweep-observe.js';
import { clusterFacts, fixture } from '../support/facts-builder.js';

const record = (node: string, causeId: string, seenVia: string[], phase: ProblemRecord['phase'] = 'open') =>
  ({
    key: `${node}/${causeId}`,
    node,
    causeId,
    phase,
    fingerprint: 'x',
    headline: causeId,
    seenVia,
    lastSweep: 'earlier',
    lastAction: 'announce',
    runId: 'run-1',
    since: 't',
  }) as ProblemRecord;

const healthy = diagnose(clusterFacts());
const fine = (node: string): SweptNode => ({ node, report: { ...healthy, node } });
/** The diagnosis itself failed: nothing is known about the node. */
const failed = (node: string): SweptNode => ({ node, report: undefined });

describe('zone sweeps: which nodes', () => {
  const inventory = {
    nodes: [
      { name: 'cp-1' },
      { name: 'node-1', zone: 'a' },
      { name: 'node-2', zone: 'b' },
      { name: 'node-3', zone: 'a' },
    ],
  } as unknown as Pick<Inventory, 'nodes'>;

  it("a zone's sweep takes its zone's nodes in inventory order; the default sweep the unzoned ones", () => {
    assert.deepEqual(zoneNodes(inventory, 'a'), ['node-1', 'node-3']);
    assert.deepEqual(zoneNodes(inventory, 'b'), ['node-2']);
    assert.deepEqual(zoneNodes(inventory, undefined), ['cp-1']);
    assert.deepEqual(zoneNodes(inventory, 'c'), []);
  });

  it('one queue and one scheduler per zone; without zones, the names from before zones', () => {
    assert.equal(sweepQueueName('a'), 'sweep@a');
    assert.equal(sweepSchedulerId('a'), 'netcheck-sweep@a');
    assert.equal(sweepQueueName(undefined), 'sweep');
    assert.equal(sweepSchedulerId(undefined), 'netcheck-sweep');
  });
});

describe('zone sweeps: not observed is not absent', () => {
  const zoneA = new Set(['node-1', 'node-3']);

  it("a sweep of zone a neither observes nor clears zone b's open problem, however often it runs", () => {
    const inB = record('node-2', 'icmp-blocked', ['node-2']);
    let current: ProblemRecord | undefined = inB;
    for (let i = 0; i < 4; i++) {
      const { observations } = observeSweep([fine('node-1'), fine('node-3')], [current!], zoneA);
      assert.equal(observations.has(inB.key), false, `zone a sweep ${i} leaves it out`);
    }
    // Had it been judged absent (the bug), two such sweeps would have resolved it.
    for (let i = 0; i < 2; i++)
      current = nextProblemState(
        inB.key,
        current,
        { kind: 'absent' },
        { sweepId: `x${i}`, now: 't', runId: 'r' },
      ).next;
    assert.equal(
      current?.phase,
      'resolved',
      'the flap filter resolves after two absences: the test can fail',
    );
    // Its own zone's sweep does judge it: absent when node-2 was reached, unobserved when not.
    const zoneB = new Set(['node-2']);
    assert.equal(observeSweep([fine('node-2')], [inB], zoneB).observations.get(inB.key)?.kind, 'absent');
    assert.equal(
      observeSweep([failed('node-2')], [inB], zoneB).observations.get(inB.key)?.kind,
      'unobserved',
    );
  });

  it("a cause another zone's node is blamed for is left to that zone's sweeps", () => {
    // icmp-blocked on cp-1 (no zone) shows in node-3's report (zone a): cp-1's problem.
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
        cp: {
          [PROBE.iptables]: { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\nCOMMIT\n' },
        },
      }),
    );
    assert.deepEqual(
      [...observeSweep([{ node: 'node-3', report }], [], new Set(['cp-1', 'node-3'])).seen.keys()],
      ['cp-1/icmp-blocked'],
    );
    const inA = observeSweep([{ node: 'node-3', report }], [], zoneA);
    assert.equal(inA.seen.size, 0, 'zone a neither announces it nor keeps it pending');
    // A record from before zones, seen from node-3: cp-1's own sweep can still find it gone.
    const old = record('cp-1', 'icmp-blocked', ['node-3']);
    const own = new Set(['cp-1']);
    assert.equal(observeSweep([fine('cp-1')], [old], own).observations.get(old.key)?.kind, 'absent');
    assert.equal(observeSweep([failed('cp-1')], [old], own).observations.get(old.key)?.kind, 'unobserved');
    assert.equal(observeSweep([fine('node-3')], [old], zoneA).observations.has(old.key), false);
  });

  it("a zone's sweep sets and clears only its own nodes' conditions", () => {
    const records = [record('node-2', 'icmp-blocked', ['node-2'])];
    const written = new Map([
      ['node-2', { status: 'True', reason: 'IcmpBlocked', message: 'm' }],
      ['node-4', { status: 'True', reason: 'MtuMismatch', message: 'm' }],
    ] as const);
    // Zone a (node-1, node-3): node-2's open problem and node-4's mark are not its business.
    assert.deepEqual([...wantedConditions(records, written, new Set(['node-1', 'node-3']))], []);
    // Zone b keeps node-2 marked; node-4's zone clears node-4's mark once nothing is open there.
    assert.equal(wantedConditions(records, written, new Set(['node-2'])).get('node-2')?.status, 'True');
    assert.equal(wantedConditions(records, written, new Set(['node-4'])).get('node-4')?.status, 'False');
  });
});
