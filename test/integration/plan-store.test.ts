import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Plan } from '../../src/remediation/plan.js';
import type { RunLease } from '../../src/remediation/plan-repository.js';
import { PlanStore } from '../../src/store/plan-store.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const plan = (planId: string): Plan => ({
  planId,
  runId: 'run-x',
  causeId: 'icmp-blocked',
  node: 'cp-1',
  requestedBy: 'U0REQ',
  steps: [],
  destructive: false,
  backupDir: '/var/backups/netcheck/x',
  hash: 'h1',
  createdAt: '2026-11-24T03:00:00Z',
  expiresAt: '2026-11-24T03:15:00Z',
  remedy: { kind: 'set-sysctl', node: 'cp-1', key: 'net.ipv4.ip_forward', value: '1' },
});

describe('plan approval state machine (real Redis)', () => {
  let server: TestRedis;
  let redis: Redis;
  let plans: PlanStore;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    plans = new PlanStore(redis);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('twenty concurrent approvals: exactly one wins, the rest are told it is already approved', async () => {
    await plans.save(plan('p1'), 1000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => plans.decide('p1', 'h1', `U${i}`, 'approved', 2000, 'now')),
    );
    assert.equal(results.filter((r) => r.code === 'approved').length, 1);
    assert.equal(results.filter((r) => r.code === 'already-decided' && r.state === 'approved').length, 19);
    assert.deepEqual(await plans.beginRun('p1', 'h1'), { code: 'running' });
    assert.deepEqual(
      await plans.beginRun('p1', 'h1'),
      { code: 'not-approved', state: 'running' },
      'a run starts once',
    );
  });

  it('a plan that needs two approvers: the first is recorded, the same person again is refused, a second one approves, once', async () => {
    await plans.save(plan('p2a'), 1000);
    assert.deepEqual(await plans.decide('p2a', 'h1', 'UA', 'approved', 2000, 'now', 2), {
      code: 'first-approval',
    });
    assert.deepEqual(
      await plans.beginRun('p2a', 'h1'),
      { code: 'not-approved', state: 'proposed' },
      'one approval does not let it run',
    );
    assert.deepEqual(await plans.decide('p2a', 'h1', 'UA', 'approved', 2000, 'now', 2), {
      code: 'same-approver',
    });
    const results = await Promise.all(
      ['UB', 'UC', 'UD'].map((u) => plans.decide('p2a', 'h1', u, 'approved', 2000, 'now', 2)),
    );
    assert.deepEqual(
      results.map((r) => (r.code === 'already-decided' ? `already ${r.state}` : r.code)).sort(),
      ['already approved', 'already approved', 'approved'],
    );
    assert.match((await plans.get('p2a'))?.decidedBy ?? '', /^UA,U[BCD]$/);
    assert.deepEqual(await plans.beginRun('p2a', 'h1'), { code: 'running' });
  });

  it('expired and changed plans cannot be approved; an unapproved plan cannot run', async () => {
    await plans.save(plan('p2'), 0);
    assert.deepEqual(await plans.decide('p2', 'h1', 'U1', 'approved', 16 * 60 * 1000, 'now'), {
      code: 'expired',
    });
    await plans.save(plan('p3'), 1000);
    assert.deepEqual(await plans.decide('p3', 'other-hash', 'U1', 'approved', 2000, 'now'), {
      code: 'hash-mismatch',
    });
    assert.deepEqual(await plans.beginRun('p3', 'h1'), { code: 'not-approved', state: 'proposed' });
    assert.deepEqual(await plans.decide('nope', 'h1', 'U1', 'approved', 2000, 'now'), { code: 'missing' });
  });

  it('the node lock admits one owner and only the owner releases it', async () => {
    assert.equal(await plans.lockNode('cp-1', 'a', 10_000), true);
    assert.equal(await plans.lockNode('cp-1', 'b', 10_000), false);
    await plans.unlockNode('cp-1', 'b');
    assert.equal(await plans.lockNode('cp-1', 'b', 10_000), false);
    await plans.unlockNode('cp-1', 'a');
    assert.equal(await plans.lockNode('cp-1', 'b', 10_000), true);
  });

  const lease = (over: Partial<RunLease> = {}): RunLease => ({
    node: 'cp-9',
    nowMs: 10_000,
    startWindowMs: 120_000,
    heartbeatTtlMs: 60_000,
    lockTtlMs: 60_000,
    ...over,
  });
  const approved = async (planId: string, atMs = 10_000) => {
    await plans.save({ ...plan(planId), node: 'cp-9' }, atMs);
    assert.deepEqual(await plans.decide(planId, 'h1', 'U1', 'approved', atMs, 'now'), { code: 'approved' });
  };

  it('a run starts with its heartbeat, node lock and fencing token in one step: no sweep can take it for dead', async () => {
    await approved('f1');
    const started = await plans.startRun('f1', 'h1', lease());
    assert.equal(started.code, 'running');
    const token = started.code === 'running' ? started.token : '';
    assert.deepEqual(await plans.claimInterrupted(), [], 'alive from the first instant');
    assert.equal(await redis.get('netcheck:lock:node:cp-9'), `f1#${token}`);
    await approved('f2');
    assert.deepEqual(await plans.startRun('f2', 'h1', lease()), { code: 'locked' }, 'one run per node');
    assert.equal((await plans.get('f2'))?.state, 'approved', 'a locked-out plan stays approved');
    assert.deepEqual(await plans.finish('f1', token, 'done', lease()), { code: 'ok' });
    assert.equal(await redis.get('netcheck:lock:node:cp-9'), null, 'finish released the node');
    const next = await plans.startRun('f2', 'h1', lease());
    assert.ok(next.code === 'running' && Number(next.token) > Number(token), 'tokens only grow');
    await plans.finish('f2', next.code === 'running' ? next.token : '', 'done', lease());
  });

  it('an approval not started within the window expires; nothing is locked', async () => {
    await approved('f3', 10_000);
    assert.deepEqual(await plans.startRun('f3', 'h1', lease({ nowMs: 10_000 + 120_001 })), {
      code: 'approval-expired',
      approvedAtMs: 10_000,
    });
    assert.equal((await plans.get('f3'))?.state, 'expired');
    assert.equal(await redis.get('netcheck:lock:node:cp-9'), null);
  });

  it('once the sweep marked a run interrupted, its executor can neither start a step nor write an end over it; a wrong token writes nothing', async () => {
    await approved('f4');
    const started = await plans.startRun('f4', 'h1', lease());
    const token = started.code === 'running' ? started.token : '';
    assert.deepEqual(await plans.claimStep('f4', token, 1, lease()), { code: 'ok' });
    assert.equal(await plans.markStep('f4', 'not-the-token', 1, 'failed'), false);
    await redis.del('netcheck:plan-alive:f4');
    assert.deepEqual(await plans.claimInterrupted(), ['f4']);
    assert.equal(
      await redis.get('netcheck:lock:node:cp-9'),
      null,
      'the sweep freed the node in the same step',
    );
    assert.deepEqual(await plans.claimStep('f4', token, 2, lease()), {
      code: 'lost',
      reason: 'state',
      state: 'interrupted',
    });
    assert.equal(await plans.markStep('f4', token, 1, 'done'), true, 'what step 1 did is still recorded');
    assert.deepEqual(await plans.finish('f4', token, 'done', lease()), {
      code: 'lost',
      reason: 'state',
      state: 'interrupted',
    });
    const stored = await plans.get('f4');
    assert.equal(stored?.state, 'interrupted');
    assert.deepEqual(stored?.steps, { 1: 'done' });
  });
});
