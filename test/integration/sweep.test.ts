import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1NodeCondition } from '@kubernetes/client-node';
import { Queue } from 'bullmq';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { coreClient } from '../../src/kube/kube-client.js';
import {
  addFault,
  clearFault,
  type FaultSpec,
  labExec,
  startApiServer,
  stopApiServer,
} from '../../src/lab/lab.js';
import { SWEEP_QUEUE } from '../../src/queue/sweep-queue.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { AuditWatch } from '../support/audit-watch.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const SWEEP_CHANNEL = 'C0SWEEP';
const SWEEP_MS = 60_000;

/**
 * Scheduled sweeps on the lab, driven one sweep at a time: the schedule is hourly here (its first
 * sweep runs at start and is awaited), and each test adds a sweep job to the same queue by hand and
 * awaits its `sweep.finished` audit entry. The schedule itself is tested in sweep-schedule.test.ts.
 */
describe('scheduled sweeps: announce on change only, flap filter, node conditions', () => {
  let h: Harness;
  let audit: AuditWatch;
  let sweeps: Queue;
  let n = 0;

  before(async () => {
    h = await startHarness({
      labId: 'ncsweep',
      netIndex: 125,
      workers: 2,
      env: { NETCHECK_SWEEP_INTERVAL: '1h', NETCHECK_SWEEP_CHANNEL: SWEEP_CHANNEL },
    });
    audit = new AuditWatch(h.redis.url);
    sweeps = new Queue(SWEEP_QUEUE, { connection: { url: h.redis.url }, prefix: KEY_PREFIX });
    // The schedule's first sweep runs at start; wait for it so the sweeps below are the only ones.
    await audit.waitFor((e) => e.type === 'sweep.finished', SWEEP_MS, 'the first scheduled sweep');
  });
  after(async () => {
    await sweeps?.close();
    audit?.close();
    await h?.close();
  });

  /** Runs one sweep now and resolves with its finished entry. */
  async function sweep(): Promise<AuditEntry> {
    const id = `test-sweep-${++n}`;
    await sweeps.add('sweep', { reason: 'test' }, { jobId: id });
    return audit.waitFor(
      (e) => e.type === 'sweep.finished' && e.data?.sweepId === id,
      SWEEP_MS,
      `sweep ${id} to finish`,
    );
  }
  const fault = (id: FaultSpec['id'], node: string): FaultSpec => ({ id, node });
  // Inserted first in OUTPUT, so it is the rule the kernel (and the diagnosis) meets first.
  const extraRule = (op: '-I' | '-D') => [
    ...(op === '-I' ? [op, 'OUTPUT', '1'] : [op, 'OUTPUT']),
    '-p',
    'icmp',
    '-d',
    `${h.lab.specs[0]!.host}/32`,
    '-j',
    'REJECT',
  ];
  const sweepMessages = () => h.slack.topLevel(SWEEP_CHANNEL);
  const sweepCalls = () =>
    h.slack.calls.filter(
      (c) =>
        (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.params.channel === SWEEP_CHANNEL,
    );
  async function conditionOf(node: string): Promise<V1NodeCondition | undefined> {
    const core = coreClient(path.join(h.dir, 'kubeconfig'));
    const object = await core.readNode({ name: node });
    return object.status?.conditions?.find((c) => c.type === 'NetcheckNetworkProblem');
  }

  it('posts nothing while nothing changes, over several sweeps', async () => {
    for (let i = 0; i < 3; i++) {
      const done = await sweep();
      assert.equal(done.data?.diagnosed, 3, JSON.stringify(done.data));
      assert.equal(done.data?.problemsSeen, 0, JSON.stringify(done.data));
    }
    assert.equal(sweepCalls().length, 0);
  });

  it('a fault present for exactly one sweep (a flap) is never announced', async () => {
    await addFault({ labId: h.lab.labId }, fault('icmp-blocked', 'node-2'));
    let seen: AuditEntry;
    try {
      seen = await sweep();
    } finally {
      await clearFault({ labId: h.lab.labId }, fault('icmp-blocked', 'node-2'));
    }
    assert.equal(seen.data?.problemsSeen, 1, 'the fault was seen');
    assert.equal(seen.data?.pending, 1, 'and held back as pending');
    const after1 = await sweep();
    assert.equal(after1.data?.pending, 0, 'gone on the next sweep: forgotten');
    await sweep();
    assert.equal(sweepCalls().length, 0, 'nothing was posted');
    assert.equal(await conditionOf('node-2'), undefined, 'no node condition was written');
  });

  it('a fault injected then cleared: one announcement (with its plan and the node condition), nothing while it lasts, one resolution', async () => {
    const spec = fault('icmp-blocked', 'node-2');
    await addFault({ labId: h.lab.labId }, spec);
    let announcement: FakeMessage;
    try {
      await sweep();
      assert.equal(sweepMessages().length, 0, 'not announced after one sweep');
      await sweep();
      announcement = await h.slack.waitFor(() => sweepMessages()[0], 20_000, 'the announcement');
      const shown = messageText(announcement);
      assert.match(shown, /`icmp-blocked`/);
      assert.match(shown, /node-2/);
      assert.match(shown, /-p icmp/, 'the evidence');
      assert.match(shown, /Fix plan for `icmp-blocked`/);
      assert.match(shown, /netcheck_approve/);
      assert.match(shown, /NetcheckNetworkProblem.* set to True \(`IcmpBlocked`\)/);
      assert.equal(announcement.threadTs, undefined, 'a top-level message');
      const condition = await conditionOf('node-2');
      assert.equal(condition?.status, 'True');
      assert.equal(condition?.reason, 'IcmpBlocked');
      assert.match(condition?.message ?? '', /^icmp-blocked: /);

      const before = sweepCalls().length;
      await sweep();
      await sweep();
      assert.equal(sweepCalls().length, before, 'nothing posted or edited while it lasts unchanged');

      // It changes (another rule now rejects ICMP before the first): redrawn in place.
      await labExec(h.lab, 'node-2', ['iptables', ...extraRule('-I')]);
      try {
        await sweep();
        const redrawn = await h.slack.waitFor(
          () => (announcement.edits > 0 ? announcement : undefined),
          20_000,
          'the announcement redrawn',
        );
        assert.match(messageText(redrawn), /-j REJECT/, 'the new evidence and plan');
        assert.match(messageText(redrawn), /netcheck_approve/, 'a new plan to approve');
        assert.equal(sweepMessages().length, 1, 'no second announcement');
        assert.equal(h.slack.replies(announcement.ts).length, 0);
      } finally {
        await labExec(h.lab, 'node-2', ['iptables', ...extraRule('-D')]);
      }
    } finally {
      await clearFault({ labId: h.lab.labId }, spec);
    }
    const clearing = await sweep();
    assert.equal(clearing.data?.resolved, 0, 'not resolved after one clean sweep');
    const resolved = await sweep();
    assert.equal(resolved.data?.resolved, 1);
    const reply = await h.slack.waitFor(
      () => h.slack.replies(announcement.ts)[0],
      20_000,
      'the resolution reply',
    );
    assert.match(reply.text, /Resolved: `icmp-blocked` on node-2/);
    assert.match(reply.text, /NetcheckNetworkProblem.* set to False \(`NetworkOk`\)/);
    const edited = await h.slack.waitFor(
      () => (/Resolved/.test(announcement.text) ? announcement : undefined),
      20_000,
      'the announcement marked resolved',
    );
    assert.doesNotMatch(JSON.stringify(edited.blocks), /netcheck_approve/, 'no button on a resolved problem');
    const condition = await conditionOf('node-2');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.reason, 'NetworkOk');

    await sweep();
    assert.equal(sweepMessages().length, 1, 'exactly one announcement');
    assert.equal(h.slack.replies(announcement.ts).length, 1, 'exactly one resolution');
    const entries = await audit.all();
    const kinds = entries.filter((e) => e.runId === announcedRunId(entries)).map((e) => e.type);
    assert.deepEqual(
      kinds.filter((k) => k.startsWith('problem.')),
      ['problem.announced', 'problem.updated', 'problem.resolved'],
    );
  });

  it('the announcement’s Approve button works as for /netcheck: an approver approves, the fix runs, the problem resolves', async () => {
    const spec = fault('icmp-blocked', 'node-1');
    await addFault({ labId: h.lab.labId }, spec);
    try {
      const known = new Set(sweepMessages().map((m) => m.ts));
      await sweep();
      await sweep();
      const announcement = await h.slack.waitFor(
        () => sweepMessages().find((m) => !known.has(m.ts) && /node-1/.test(m.text)),
        20_000,
        'the announcement for node-1',
      );
      const approve = (
        announcement.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
          elements: { action_id: string; value: string }[];
        }
      ).elements.find((e) => e.action_id === 'netcheck_approve')!;
      const click = (user: string) =>
        postButtonClick(h.appUrl, SIGNING_SECRET, {
          actionId: 'netcheck_approve',
          value: approve.value,
          user,
          channel: SWEEP_CHANNEL,
          messageTs: announcement.ts,
        });
      // Nobody requested it in Slack: someone who is not an approver cannot approve it.
      await click('U0ONCALL');
      await h.slack.waitFor(
        () =>
          h.slack
            .callsOf('chat.postEphemeral')
            .find(
              (c) =>
                c.params.user === 'U0ONCALL' &&
                /only the requester or an approver/.test(String(c.params.text)),
            ),
        10_000,
        'the refusal',
      );
      await click('U0APPROVER');
      const done = await h.slack.waitFor(
        () => h.slack.replies(announcement.ts).find((m) => /Fixed and verified|Not fixed/.test(m.text)),
        60_000,
        'the verification in the announcement’s thread',
      );
      assert.match(done.text, /Fixed and verified: node-1 is now `healthy`/);
      await sweep();
      await sweep();
      const reply = await h.slack.waitFor(
        () => h.slack.replies(announcement.ts).find((m) => /Resolved:/.test(m.text)),
        20_000,
        'the resolution',
      );
      assert.match(reply.text, /`icmp-blocked` on node-1/);
      assert.match(JSON.stringify(announcement.blocks), /Approved by <@U0APPROVER>/);
    } finally {
      await clearFault({ labId: h.lab.labId }, spec).catch(() => undefined);
    }
  });

  it('when the Kubernetes API does not answer, the condition is skipped and the message says so', async () => {
    const known = new Set(sweepMessages().map((m) => m.ts));
    await stopApiServer(h.lab);
    let announcement: FakeMessage;
    try {
      await sweep();
      await sweep();
      announcement = await h.slack.waitFor(
        () => sweepMessages().find((m) => !known.has(m.ts) && /`apiserver-down`/.test(m.text)),
        20_000,
        'the announcement of apiserver-down',
      );
      assert.match(messageText(announcement), /not set to True .*the Kubernetes API did not answer/);
    } finally {
      await startApiServer(h.lab);
    }
    await sweep();
    const late = await h.slack.waitFor(
      () => h.slack.replies(announcement.ts).find((m) => /API answers again/.test(m.text)),
      20_000,
      'the late condition note',
    );
    assert.match(late.text, /set to True \(`ApiserverDown`\)/);
    await sweep();
    await h.slack.waitFor(
      () => h.slack.replies(announcement.ts).find((m) => /Resolved:/.test(m.text)),
      20_000,
      'the resolution',
    );
    const condition = await conditionOf('cp-1');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.reason, 'NetworkOk');
  });
});

/** The run id of the one announced problem in these entries. */
function announcedRunId(entries: readonly AuditEntry[]): string | undefined {
  return entries.find((e) => e.type === 'problem.announced')?.runId;
}
