import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import type { Plan } from '../../src/remediation/plan.js';
import { planHash } from '../../src/remediation/plan-hash.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

/** The Approve button's value: `<plan id>:<hash of the plan shown>`. */
function approveValue(report: FakeMessage): string {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: { action_id: string; value: string }[] }
    | undefined;
  const approve = actions?.elements.find((e) => e.action_id === 'netcheck_approve');
  assert.ok(approve, `the report offers an Approve button:\n${messageText(report)}`);
  return approve.value;
}

const PWNED = '/root/netcheck-pwned';

/**
 * Whoever can write to Redis (a compromised bot) edits a stored plan: the worker refuses it before
 * it takes the node lock, and nothing runs on the node.
 */
describe('signed plans: a plan changed in Redis never runs', () => {
  let h: Harness;
  let redis: Redis;
  let queue: Queue;
  let audit: AuditStore;

  before(async () => {
    h = await startHarness({ labId: 'ncsign', netIndex: 73, workers: 2 });
    redis = new Redis(h.redis.url);
    queue = new Queue(QUEUE_NAMES.remediation, { connection: { url: h.redis.url }, prefix: KEY_PREFIX });
    audit = new AuditStore(redis, redis, () => new Date().toISOString());
    await addFault({ labId: 'ncsign' }, { id: 'ip-forward-disabled', node: 'node-2' });
  });
  after(async () => {
    await clearFault({ labId: 'ncsign' }, { id: 'ip-forward-disabled', node: 'node-2' }).catch(
      () => undefined,
    );
    await queue?.close();
    redis?.disconnect();
    await h?.close();
  });

  const click = (value: string, report: FakeMessage) =>
    postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value,
      user: 'U0ONCALL',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
  const storedPlan = async (planId: string) =>
    JSON.parse((await redis.hget(`${KEY_PREFIX}:plan:${planId}`, 'plan'))!) as Plan;
  const storePlan = (plan: Plan) =>
    redis.hset(`${KEY_PREFIX}:plan:${plan.planId}`, 'plan', JSON.stringify(plan));
  /** The first step's command, with a side effect we can look for on the node put in front. */
  const withPayload = (plan: Plan): Plan => ({
    ...plan,
    steps: plan.steps.map((s, i) =>
      i === 0 && s.kind === 'shell' ? { ...s, command: `touch ${PWNED} && ${s.command}` } : s,
    ),
  });
  /** What ran on node-2: the payload's file, the sysctl the plan would set, and audited steps. */
  async function nothingRan(planId: string): Promise<void> {
    assert.notEqual(
      (await labExec(h.lab, 'node-2', ['test', '-e', PWNED])).code,
      0,
      'the payload did not run',
    );
    assert.equal(
      (await labExec(h.lab, 'node-2', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(),
      '0',
      'no step of the plan ran',
    );
    const entries = (await audit.readAll()).filter((e) => e.planId === planId);
    assert.equal(entries.filter((e) => e.type === 'step.started').length, 0, 'no step was started');
    assert.ok(
      entries.some((e) => e.type === 'plan.refused'),
      `the refusal is audited: ${entries.map((e) => e.type)}`,
    );
  }
  const refusalIn = (parent: FakeMessage, re: RegExp) =>
    h.slack.waitFor(
      () =>
        h.slack.replies(parent.ts).find((m) => /The executor refused plan/.test(m.text) && re.test(m.text)),
      30_000,
      'the refusal in the thread',
    );

  it('a step command edited after the proposal (signature left as it was): refused, 0 commands ran', async () => {
    const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
    const value = approveValue(report);
    const planId = value.split(':')[0]!;
    await storePlan(withPayload(await storedPlan(planId)));
    assert.equal((await click(value, report)).status, 200);
    const refused = await refusalIn(parent, /steps were changed after a worker signed it/);
    assert.match(refused.text, /Nothing was run on node-2/);
    await nothingRan(planId);
  });

  it('edited, re-hashed and "re-signed" without the key, approved and enqueued behind the bot: refused', async () => {
    const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
    const planId = approveValue(report).split(':')[0]!;
    const edited = withPayload(await storedPlan(planId));
    const { hash: _h, signature: _s, ...rest } = edited;
    const forged = createPlanSigner('a-guess-at-the-key-that-is-not-it-000000').sign(rest);
    assert.equal(forged.hash, planHash(rest));
    await storePlan(forged);
    // What a compromised bot can do on top: mark it approved with the new hash and enqueue it itself.
    await redis.hset(`${KEY_PREFIX}:plan:${planId}`, 'hash', forged.hash, 'state', 'approved');
    await queue.add('remediate', { planId, hash: forged.hash }, { jobId: `forged-${planId}`, attempts: 1 });
    await refusalIn(parent, /steps were changed after a worker signed it/);
    await nothingRan(planId);
  });

  it('the signature dropped from the stored plan: refused as unsigned', async () => {
    const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
    const value = approveValue(report);
    const planId = value.split(':')[0]!;
    const { signature: _s, ...unsigned } = withPayload(await storedPlan(planId));
    await storePlan(unsigned as Plan);
    await click(value, report);
    await refusalIn(parent, /carries no worker signature/);
    await nothingRan(planId);
  });

  it('a button whose hash differs: the approval is refused; a job with another hash is refused by the executor', async () => {
    const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
    const planId = approveValue(report).split(':')[0]!;
    await click(`${planId}:${'0'.repeat(64)}`, report);
    await h.slack.waitFor(
      () =>
        h.slack
          .callsOf('chat.postEphemeral')
          .find(
            (c) => c.params.user === 'U0ONCALL' && /changed since it was shown/.test(String(c.params.text)),
          ),
      10_000,
      'the refusal of the click',
    );
    // Behind the bot: approved in Redis and enqueued with a hash no approver saw.
    await redis.hset(`${KEY_PREFIX}:plan:${planId}`, 'hash', 'f'.repeat(64), 'state', 'approved');
    await queue.add('remediate', { planId, hash: 'f'.repeat(64) }, { jobId: `other-${planId}`, attempts: 1 });
    await refusalIn(parent, /not the plan the approver was shown/);
    await nothingRan(planId);
  });

  it('the untouched plan, approved from its button, runs: the refusals above are the signature at work', async () => {
    const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
    await click(approveValue(report), report);
    const done = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed|refused/.test(m.text)),
      30_000,
      'the run',
    );
    assert.match(done.text, /Fixed and verified: node-2 is now `healthy`/);
  });
});
