import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { Plan } from '../../src/remediation/plan.js';
import type { FenceResult, PlanRepository } from '../../src/remediation/plan-repository.js';
import { describeLoss, RunFence } from '../../src/remediation/run-fence.js';
import { ranAndNotRun } from '../../src/remediation/run-record.js';
import { DEFAULT_RUN_TIMING } from '../../src/remediation/run-timing.js';

/** The fencing calls of a repository, answered from a script; the rest is never called here. */
function fakePlans(answers: { renew: () => Promise<FenceResult>; claim: () => Promise<FenceResult> }) {
  const calls = { renew: 0, claim: 0 };
  const plans = {
    renew: () => {
      calls.renew++;
      return answers.renew();
    },
    claimStep: () => {
      calls.claim++;
      return answers.claim();
    },
  } as unknown as PlanRepository;
  return { plans, calls };
}

const lease = () => ({ node: 'node-2', nowMs: 0, ...DEFAULT_RUN_TIMING });
const interrupted: FenceResult = { code: 'lost', reason: 'state', state: 'interrupted' };

describe('run fence', () => {
  it('a lost run stays lost: later boundaries do not even ask Redis', async () => {
    const { plans, calls } = fakePlans({
      renew: async () => ({ code: 'ok' }),
      claim: async () => interrupted,
    });
    const fence = new RunFence(plans, 'p1', '7', lease, DEFAULT_RUN_TIMING);
    assert.deepEqual(await fence.claimStep(1), interrupted);
    assert.deepEqual(await fence.claimStep(2), interrupted);
    assert.equal(calls.claim, 1);
    assert.deepEqual(fence.lost, interrupted);
  });

  it('renewals: a Redis error is retried on the next tick; a renewal that finds the run lost stops renewing', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const replies: (() => Promise<FenceResult>)[] = [
        () => Promise.reject(new Error('connection lost')),
        async () => ({ code: 'ok' }),
        async () => interrupted,
      ];
      const { plans, calls } = fakePlans({
        renew: () => (replies.shift() ?? (async () => ({ code: 'ok' })))(),
        claim: async () => ({ code: 'ok' }),
      });
      const fence = new RunFence(plans, 'p1', '7', lease, DEFAULT_RUN_TIMING);
      fence.startRenewing();
      for (let i = 0; i < 5; i++) {
        mock.timers.tick(DEFAULT_RUN_TIMING.renewEveryMs);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(calls.renew, 3, 'no renewal after the run was found lost');
      assert.deepEqual(fence.lost, interrupted);
      assert.deepEqual(await fence.claimStep(3), interrupted, 'the next boundary stops');
      assert.equal(calls.claim, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('says why a run was lost, and which steps ran and which did not', () => {
    assert.match(describeLoss(interrupted), /marked it interrupted after its heartbeat lapsed/);
    assert.match(
      describeLoss({ code: 'lost', reason: 'lock' }),
      /node lock lapsed or is held by another run/,
    );
    const plan = { steps: [1, 2, 3, 4].map((n) => ({ n })) } as unknown as Plan;
    assert.equal(
      ranAndNotRun(plan, [
        { n: 1, ok: true },
        { n: 2, ok: true },
      ]).text,
      'Ran: step 1 (done), step 2 (done). Not run: steps 3, 4.',
    );
    assert.equal(ranAndNotRun(plan, []).text, 'Ran: none. Not run: steps 1, 2, 3, 4.');
    assert.equal(
      ranAndNotRun(
        plan,
        [1, 2, 3, 4].map((n) => ({ n, ok: n !== 4 })),
      ).text,
      'Ran: step 1 (done), step 2 (done), step 3 (done), step 4 (failed). Not run: none.',
    );
  });
});
