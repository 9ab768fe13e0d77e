import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { addFault, clearFault } from '../../src/lab/lab.js';
import { AuditStore } from '../../src/store/audit-store.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const LAB = { labId: 'ncedge', netIndex: 80 };
const AUDIT_CHANNEL = 'C0AUDIT';

/** Who may act where (NETCHECK_CHANNELS, NETCHECK_USERS, user groups, the rate limit), on the lab. */
describe('access: channels, users, user groups, rate limit, control-plane approvals', () => {
  let h: Harness;
  let redis: Redis;
  let store: AuditStore;

  before(async () => {
    h = await startHarness({
      ...LAB,
      env: {
        NETCHECK_CHANNELS: 'C0INCIDENT',
        NETCHECK_USERS: 'U0ONCALL,U0RATE,S0ONCALL',
        NETCHECK_APPROVERS: 'S0APPROVERS',
        NETCHECK_RATE_LIMIT: '3/1m',
        NETCHECK_AUDIT_CHANNEL: AUDIT_CHANNEL,
      },
    });
    h.slack.userGroups.set('S0ONCALL', ['U0GROUPIE']);
    h.slack.userGroups.set('S0APPROVERS', ['U0BOSS']);
    redis = new Redis(h.redis.url);
    store = new AuditStore(redis, redis, () => new Date().toISOString());
  });
  after(async () => {
    redis?.disconnect();
    await h?.close();
  });

  const ephemeral = (res: { status: number; body: string }) => {
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body) as { response_type: string; text: string };
    assert.equal(body.response_type, 'ephemeral');
    return body.text;
  };
  const refusals = async () => (await store.readAll()).filter((e) => e.type === 'access.refused');
  const waitForRefusals = async (count: number) => {
    for (let i = 0; i < 50 && (await refusals()).length < count; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return refusals();
  };
  const click = (planId: string, user: string, report: FakeMessage, channel = 'C0INCIDENT') =>
    postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planId,
      user,
      channel,
      messageTs: report.ts,
    });
  const ephemeralsFor = (user: string) =>
    h.slack
      .callsOf('chat.postEphemeral')
      .filter((c) => c.params.user === user)
      .map((c) => String(c.params.text));

  it('a channel and a user that are not allowed: ephemeral refusal, nothing queued, audited, not posted to the audit channel', async () => {
    const jobs = await h.probeJobCount();
    const otherChannel = ephemeral(await h.command('node-1', { user: 'U0ONCALL', channel: 'C0ELSEWHERE' }));
    assert.match(otherChannel, /Nothing was run: netcheck does not work in this channel \(NETCHECK_CHANNELS/);
    const stranger = ephemeral(await h.command('node-1', { user: 'U0STRANGER' }));
    assert.match(
      stranger,
      /Nothing was run: you are not among the people who may run \/netcheck \(NETCHECK_USERS\)/,
    );
    const audited = await waitForRefusals(2);
    assert.deepEqual(
      audited.map((e) => e.actor),
      ['U0ONCALL', 'U0STRANGER'],
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await h.probeJobCount(), jobs, 'nothing was queued');
    assert.equal(h.slack.topLevel('C0ELSEWHERE').length, 0);
    assert.equal(h.slack.topLevel('C0INCIDENT').length, 0, 'no thread was started');
    assert.ok(
      !h.slack.topLevel(AUDIT_CHANNEL).some((m) => m.text.includes('access.refused')),
      'refusals stay out of the incident channel',
    );
    // A member of a user group listed in NETCHECK_USERS may run it.
    const { report } = await h.check('node-1', { user: 'U0GROUPIE' });
    assert.match(report.text + JSON.stringify(report.blocks), /healthy/);
  });

  it('the per-user rate limit: the 4th command within a minute is refused with when to try again; others are unaffected', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await h.command('node-2', { user: 'U0RATE' });
      assert.deepEqual(res, { status: 200, body: '' }, `command ${i + 1} is queued`);
    }
    const before = (await refusals()).length;
    const text = ephemeral(await h.command('node-2', { user: 'U0RATE' }));
    assert.match(
      text,
      /Nothing was queued: you have run \/netcheck 3 times in a minute.*NETCHECK_RATE_LIMIT.*Try again in (\d+) s/,
    );
    const seconds = Number(/Try again in (\d+) s/.exec(text)?.[1]);
    assert.ok(seconds > 0 && seconds <= 60, `try again in ${seconds} s`);
    const audited = await waitForRefusals(before + 1);
    assert.match(audited.at(-1)!.summary, /rate limit/);
    assert.deepEqual(await h.command('node-2', { user: 'U0ONCALL' }), { status: 200, body: '' });
  });

  it('a plan that changes the control plane: the requester alone may not approve it, even a safe one; an approver from a user group does', async () => {
    await addFault(LAB, { id: 'icmp-blocked', node: 'cp-1' });
    try {
      const { parent, report } = await h.check('node-3', { user: 'U0ONCALL', timeoutMs: 30_000 });
      const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
        elements: { action_id: string; value: string }[];
      };
      const planId = actions.elements.find((e) => e.action_id === 'netcheck_approve')!.value;
      // A click from a channel that is not allowed does nothing either.
      await click(planId, 'U0BOSS', report, 'C0ELSEWHERE');
      await h.slack.waitFor(
        () => ephemeralsFor('U0BOSS').find((t) => /does not work in this channel/.test(t)),
        10_000,
        'the refusal of a click elsewhere',
      );
      await click(planId, 'U0ONCALL', report);
      await h.slack.waitFor(
        () => ephemeralsFor('U0ONCALL').find((t) => /changes the control plane.*not the requester/.test(t)),
        10_000,
        'the refusal of the requester',
      );
      assert.ok(!h.slack.replies(parent.ts).some((m) => m.text.includes('Running plan')), 'nothing ran');
      await click(planId, 'U0BOSS', report);
      await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes('Fixed and verified')),
        60_000,
        'the fix approved by a member of S0APPROVERS',
      );
      assert.ok(h.slack.callsOf('usergroups.users.list').some((c) => c.params.usergroup === 'S0APPROVERS'));
    } finally {
      await clearFault(LAB, { id: 'icmp-blocked', node: 'cp-1' }).catch(() => undefined);
    }
  });
});
