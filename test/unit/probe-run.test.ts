import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import { fixedClock } from '../../src/core/clock.js';
import { sequentialIds } from '../../src/core/ids.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { ClusterFacts } from '../../src/probes/cluster-facts.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import type { ProbeJobData } from '../../src/queue/job-types.js';
import type { Plan } from '../../src/remediation/plan.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import { planFor } from '../../src/remediation/runbooks.js';
import { createNodeDiagnoser } from '../../src/worker/diagnose-node.js';
import { runProbe } from '../../src/worker/probe-run.js';
import { clusterFacts, fixture } from '../support/facts-builder.js';
import { testInventory } from '../support/test-inventory.js';

const T0 = Date.parse('2026-11-24T03:00:00.000Z');

const inventory = testInventory();

const job: ProbeJobData = {
  runId: 'run-1',
  node: 'node-3',
  requestedBy: 'U0REQ',
  channel: 'C0OPS',
  requestedAt: '2026-11-24T02:59:59.000Z',
};

/** A control plane that drops ICMP: a root cause with a narrow fix, so the run offers a plan. */
const icmpBlocked = (): ClusterFacts =>
  clusterFacts({
    worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
    cp: {
      [PROBE.iptables]: {
        stdout:
          '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\nCOMMIT\n*nat\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j X\nCOMMIT\n',
      },
    },
  });

/** A probe run on fakes that writes every side effect, in order, to `log`. */
function setup(facts: ClusterFacts, overrides: { savePlan?: (plan: Plan) => Promise<void> } = {}) {
  const log: string[] = [];
  const events: AuditEvent[] = [];
  const saved: { plan: Plan; nowMs: number }[] = [];
  const collected: string[] = [];
  const clock = fixedClock(T0);
  const deps = {
    nodes: createNodeDiagnoser({
      inventory,
      collect: async (target: { name: string }) => {
        log.push(`collect ${target.name}`);
        collected.push(target.name);
        clock.advance(1500);
        return facts;
      },
      diagnose,
    }),
    planFor,
    signer: createPlanSigner('unit-test-plan-key-0123456789abcdef'),
    savePlan: async (plan: Plan, nowMs: number) => {
      await overrides.savePlan?.(plan);
      log.push(`save ${plan.planId}`);
      saved.push({ plan, nowMs });
    },
    audit: {
      record: async (event: AuditEvent) => {
        log.push(`audit ${event.type}`);
        events.push(event);
      },
    },
    clock,
    ids: sequentialIds(),
    logger: { info: (_obj: object, msg: string) => log.push(`log ${msg}`) },
  };
  const run = async (overrides: Partial<ProbeJobData> = {}) => {
    const report = await runProbe(deps, { ...job, ...overrides });
    log.push('returned');
    return report;
  };
  return { run, log, events, saved, collected };
}

describe('probe run', () => {
  it('stores the plan before the report is returned, with an id and times from the injected sources', async () => {
    const { run, log, saved } = setup(icmpBlocked());
    const report = await run();
    assert.equal(report.verdict, 'faulty');
    assert.ok(report.plan, 'the report carries the plan on offer');
    assert.equal(saved.length, 1);
    assert.deepEqual(saved[0]!.plan, report.plan);
    assert.equal(report.plan.planId, 'plan-1');
    assert.equal(report.plan.runId, 'run-1');
    assert.equal(report.plan.requestedBy, 'U0REQ');
    // The fixed clock moved 1.5 s while probing: the plan is stamped after the probes, not before.
    assert.equal(report.plan.createdAt, '2026-11-24T03:00:01.500Z');
    assert.match(report.plan.signature ?? '', /^[0-9a-f]{64}$/, 'the worker signed the plan it built');
    assert.equal(createPlanSigner('unit-test-plan-key-0123456789abcdef').verify(report.plan).ok, true);
    assert.equal(saved[0]!.nowMs, T0 + 1500);
    assert.ok(log.indexOf('save plan-1') < log.indexOf('audit plan.proposed'));
    assert.ok(log.indexOf('save plan-1') < log.indexOf('returned'));
  });

  it('audits the run: started, one batch per probed node, the diagnosis, the plan offered; then logs', async () => {
    const { run, log, events } = setup(icmpBlocked());
    await run();
    assert.deepEqual(
      events.map((e) => [e.type, e.node]),
      [
        ['run.started', 'node-3'],
        ['probe.batch', 'node-3'],
        ['probe.batch', 'cp-1'],
        ['diagnosis', 'node-3'],
        ['plan.proposed', 'cp-1'],
      ],
    );
    assert.ok(events.every((e) => e.runId === 'run-1' && e.actor === 'netcheck'));
    assert.equal(events[0]!.summary, 'probing node-3 for <@U0REQ>');
    assert.equal(events[4]!.planId, 'plan-1');
    assert.equal(log.at(-2), 'log diagnosed');
  });

  it('a healthy node: no plan stored or offered, and the report says so', async () => {
    const { run, events, saved } = setup(clusterFacts());
    const report = await run();
    assert.equal(report.verdict, 'healthy');
    assert.equal(report.plan, undefined);
    assert.equal(saved.length, 0);
    assert.ok(!events.some((e) => e.type === 'plan.proposed'));
  });

  it('an unknown node fails with a clear error before anything is probed or audited', async () => {
    const { run, log } = setup(clusterFacts());
    await assert.rejects(run({ node: 'node-9' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'unknown-node');
      assert.match(
        error.message,
        /node node-9 is not in this worker's inventory \(\/etc\/netcheck\/inventory\.yaml\)/,
      );
      return true;
    });
    assert.deepEqual(log, []);
  });

  it('no report goes out without its plan: a failed save fails the run and audits no offer', async () => {
    const { run, events } = setup(icmpBlocked(), {
      savePlan: async () => {
        throw new Error('redis down');
      },
    });
    await assert.rejects(run(), /redis down/);
    assert.ok(!events.some((e) => e.type === 'plan.proposed'));
  });
});

describe('diagnose a node by name (shared by the probe run and the executor)', () => {
  it('probes the named node and returns what was seen and concluded', async () => {
    const facts = icmpBlocked();
    const seen: string[] = [];
    const nodes = createNodeDiagnoser({
      inventory,
      collect: async (target) => {
        seen.push(target.name);
        return facts;
      },
      diagnose,
    });
    const result = await nodes.diagnoseByName('node-3');
    assert.deepEqual(seen, ['node-3']);
    assert.equal(result.facts, facts);
    assert.equal(result.report.verdict, 'faulty');
  });

  it('rejects an unknown name with the unknown-node code', async () => {
    const nodes = createNodeDiagnoser({ inventory, collect: async () => clusterFacts(), diagnose });
    await assert.rejects(nodes.diagnoseByName('node-9'), { code: 'unknown-node' });
  });
});
