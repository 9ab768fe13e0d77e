import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Plan } from '../../src/remediation/plan.js';
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
});
