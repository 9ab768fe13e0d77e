import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

function planIdOf(report: FakeMessage): string {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: { action_id: string; value: string }[] }
    | undefined;
  const approve = actions?.elements.find((e) => e.action_id === 'netcheck_approve');
  assert.ok(approve, `the report offers an Approve button:\n${messageText(report)}`);
  return approve.value;
}

/** Safe remediation on the lab, driven by signed button clicks. */
describe('remediation: safe plans', () => {
  let h: Harness;
  let redis: Redis;

  before(async () => {
    h = await startHarness({ labId: 'ncfix', netIndex: 41 });
    redis = new Redis(h.redis.url);
  });
  after(async () => {
    redis?.disconnect();
    await h?.close();
  });

  const click = (actionId: string, planId: string, user: string, report: FakeMessage) =>
    postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId,
      value: planId,
      user,
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
  const ephemeralsFor = (user: string) =>
    h.slack
      .callsOf('chat.postEphemeral')
      .filter((c) => c.params.user === user)
      .map((c) => String(c.params.text));

  it('icmp-blocked → safe plan on the control plane → approved by an approver (not the requester alone: it changes cp-1) → the rule is deleted, verified healthy; a double click runs it once', async () => {
    await addFault({ labId: 'ncfix' }, { id: 'icmp-blocked', node: 'cp-1' });
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL' });
    assert.match(JSON.stringify(report.blocks), /Fix plan for `icmp-blocked`/);
    assert.match(JSON.stringify(report.blocks), /iptables.*-D.*INPUT/);
    const planId = planIdOf(report);

    const [first, second] = await Promise.all([
      click('netcheck_approve', planId, 'U0APPROVER', report),
      click('netcheck_approve', planId, 'U0APPROVER', report),
    ]);
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    const done = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed/.test(m.text)),
      30_000,
      'the verification',
    );
    assert.match(done.text, /Fixed and verified: node-3 is now `healthy`/);
    assert.equal(
      h.slack.replies(parent.ts).filter((m) => m.text.includes('Running plan')).length,
      1,
      'the plan ran once',
    );
    assert.ok(
      ephemeralsFor('U0APPROVER').some((t) => /already (approved|running|done)/.test(t)),
      'the second click was told why nothing happened',
    );
    const rules = await labExec(h.lab, 'cp-1', ['iptables-save', '-t', 'filter']);
    assert.doesNotMatch(rules.stdout, /-p icmp/);
    const backup = await labExec(h.lab, 'cp-1', ['sh', '-c', 'cat /var/backups/netcheck/*/iptables.rules']);
    assert.match(
      backup.stdout,
      /-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP/,
      'the rules were backed up before the change',
    );
    const updated = await h.slack.waitFor(
      () => (report.edits > 0 ? report : undefined),
      10_000,
      'the report without buttons',
    );
    assert.doesNotMatch(JSON.stringify(updated.blocks), /netcheck_approve/);
    assert.match(JSON.stringify(updated.blocks), /Approved by <@U0APPROVER>/);
    await clearFault({ labId: 'ncfix' }, { id: 'icmp-blocked', node: 'cp-1' }).catch(() => undefined);
  });

  it('the control plane asked about itself: its own nft drop of its ping to itself → a plan that deletes that rule by handle → verified healthy', async () => {
    await addFault({ labId: 'ncfix' }, { id: 'icmp-blocked-nft', node: 'cp-1' });
    try {
      const { parent, report } = await h.check('cp-1', { user: 'U0ONCALL' });
      const text = JSON.stringify(report.blocks);
      assert.match(text, /`icmp-blocked`\* on \*cp-1\*/);
      assert.match(text, /nft delete rule inet filter input handle \d+/);
      await click('netcheck_approve', planIdOf(report), 'U0APPROVER', report);
      const done = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed/.test(m.text)),
        30_000,
        'the verification',
      );
      assert.match(done.text, /Fixed and verified: cp-1 is now `healthy`/);
      const ruleset = await labExec(h.lab, 'cp-1', ['nft', 'list', 'ruleset']);
      assert.doesNotMatch(ruleset.stdout, /echo-request drop/);
    } finally {
      await clearFault({ labId: 'ncfix' }, { id: 'icmp-blocked-nft', node: 'cp-1' }).catch(() => undefined);
    }
  });

  it('someone who is neither requester nor approver is refused; reject ends the plan; an expired plan is refused', async () => {
    await addFault({ labId: 'ncfix' }, { id: 'ip-forward-disabled', node: 'node-2' });
    try {
      const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
      const planId = planIdOf(report);
      await click('netcheck_approve', planId, 'U0STRANGER', report);
      await h.slack.waitFor(
        () => ephemeralsFor('U0STRANGER').find((t) => /only the requester or an approver/.test(t)),
        10_000,
        'the refusal',
      );
      await click('netcheck_reject', planId, 'U0ONCALL', report);
      await h.slack.waitFor(
        () =>
          report.edits > 0 && /Rejected by <@U0ONCALL>/.test(JSON.stringify(report.blocks))
            ? report
            : undefined,
        10_000,
        'the rejection',
      );
      await click('netcheck_approve', planId, 'U0ONCALL', report);
      await h.slack.waitFor(
        () => ephemeralsFor('U0ONCALL').find((t) => /already rejected/.test(t)),
        10_000,
        'approve after reject refused',
      );
      assert.equal(h.slack.replies(parent.ts).filter((m) => m.text.includes('Running plan')).length, 0);

      const again = await h.check('node-2', { user: 'U0ONCALL' });
      const fresh = planIdOf(again.report);
      await redis.hset(`netcheck:plan:${fresh.split(':')[0]}`, 'expiresAt', '0');
      await click('netcheck_approve', fresh, 'U0ONCALL', again.report);
      await h.slack.waitFor(
        () => ephemeralsFor('U0ONCALL').find((t) => /expired/.test(t)),
        10_000,
        'the expiry refusal',
      );
      assert.equal(
        (await labExec(h.lab, 'node-2', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(),
        '0',
        'nothing ran',
      );
    } finally {
      await clearFault({ labId: 'ncfix' }, { id: 'ip-forward-disabled', node: 'node-2' });
    }
  });
});

describe('remediation: a failing step', () => {
  let h: Harness;
  let wrapper: string;

  before(async () => {
    h = await startHarness({ labId: 'ncroll', netIndex: 43 });
    // The plan deletes with the binary of the rule's backend (the lab's nodes are iptables-nft).
    wrapper = `${h.lab.stateDir}/bin/iptables-nft`;
  });
  after(async () => {
    await rm(wrapper, { force: true });
    await h?.close();
  });

  it('stops, offers a rollback, and the approved rollback restores the backed-up iptables rules', async () => {
    await addFault({ labId: 'ncroll' }, { id: 'icmp-blocked', node: 'cp-1' });
    // iptables-nft on the nodes now deletes the rule but reports failure, as a half-failed command would.
    await writeFile(
      wrapper,
      '#!/bin/sh\n/usr/sbin/iptables-nft "$@"; rc=$?\nfor a in "$@"; do if [ "$a" = "-D" ]; then echo "iptables: simulated failure after -D" >&2; exit 1; fi; done\nexit $rc\n',
      { mode: 0o755 },
    );
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL' });
    const planId = planIdOf(report);
    await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planId,
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    const offer = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => m.text.includes('This rollback restores')),
      30_000,
      'the rollback offer',
    );
    const texts = h.slack.replies(parent.ts).map((m) => m.text);
    const stoppedAt = texts.findIndex((t) => /Stopped after step 2 failed/.test(t));
    assert.ok(
      stoppedAt >= 0 && stoppedAt < texts.indexOf(offer.text),
      `in order: stopped, then the offer\n${texts.join('\n')}`,
    );
    assert.doesNotMatch(
      (await labExec(h.lab, 'cp-1', ['iptables-save'])).stdout,
      /-p icmp/,
      'the half-failed step did delete the rule',
    );

    await rm(wrapper, { force: true });
    const rollbackId = planIdOf(offer);
    assert.notEqual(rollbackId, planId);
    await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: rollbackId,
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: offer.ts,
    });
    await h.slack.waitFor(
      () =>
        h.slack
          .replies(parent.ts)
          .find((m) => m.text.includes(`Running plan \`${rollbackId.split(':')[0]}\``)),
      20_000,
      'the rollback run',
    );
    await h.slack.waitFor(
      () =>
        h.slack
          .replies(parent.ts)
          .find((m) => /(Fixed and verified|Not fixed)/.test(m.text) && m.ts > offer.ts),
      30_000,
      'the rollback verification',
    );
    assert.match(
      (await labExec(h.lab, 'cp-1', ['iptables-save'])).stdout,
      /-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP/,
      'the backed-up rule is back',
    );
    const updated = await h.slack.waitFor(
      () => (offer.edits > 0 ? offer : undefined),
      10_000,
      'the offer without buttons',
    );
    assert.doesNotMatch(JSON.stringify(updated.blocks), /netcheck_approve/);
    await clearFault({ labId: 'ncroll' }, { id: 'icmp-blocked', node: 'cp-1' });
  });
});

describe('remediation: a destructive plan (worker reset and rejoin)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ labId: 'ncreset', netIndex: 44 });
  });
  after(async () => {
    await h?.close();
  });

  it('podcidr-overlaps-host-net: requester refused, non-approver refused, approver accepted → backup, reset, rejoin, verified; the token never reaches Slack', async () => {
    await addFault({ labId: 'ncreset' }, { id: 'podcidr-overlaps-host-net', node: 'node-3' });
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL' });
    const planId = planIdOf(report);
    const blocks = JSON.stringify(report.blocks);
    assert.match(blocks, /destructive: needs an approver who is not the requester/);
    assert.match(blocks, /"confirm":\{"title"/, 'a confirm dialog guards the destructive Approve');
    assert.match(blocks, /kubeadm reset --force/);

    const clickAs = (user: string) =>
      postButtonClick(h.appUrl, SIGNING_SECRET, {
        actionId: 'netcheck_approve',
        value: planId,
        user,
        channel: 'C0INCIDENT',
        messageTs: report.ts,
      });
    const told = (user: string, re: RegExp) =>
      h.slack.waitFor(
        () =>
          h.slack
            .callsOf('chat.postEphemeral')
            .find((c) => c.params.user === user && re.test(String(c.params.text))),
        10_000,
        `why-not for ${user}`,
      );
    await clickAs('U0ONCALL');
    await told('U0ONCALL', /a second person from NETCHECK_APPROVERS must approve it/);
    await clickAs('U0STRANGER');
    await told('U0STRANGER', /only someone listed in NETCHECK_APPROVERS/);
    assert.equal(
      h.slack.replies(parent.ts).filter((m) => m.text.includes('Running plan')).length,
      0,
      'nothing ran yet',
    );

    await clickAs('U0APPROVER');
    const verdict = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed|Stopped after/.test(m.text)),
      60_000,
      'the result',
    );
    const thread = h.slack
      .replies(parent.ts)
      .map((m) => m.text)
      .join('\n');
    assert.match(verdict.text, /Fixed and verified: node-3 is now `healthy`/, thread);
    const backup = await labExec(h.lab, 'node-3', ['sh', '-c', 'ls /var/backups/netcheck/*/']);
    assert.match(backup.stdout, /iptables\.rules/);
    assert.match(backup.stdout, /state\.tgz/);
    assert.match(backup.stdout, /cni-net\.d/);
    const kubeadmLog = (await labExec(h.lab, 'node-3', ['cat', '/var/log/netcheck-lab-kubeadm.log'])).stdout;
    assert.match(kubeadmLog, /kubeadm reset --force\n.*kubeadm join 198\.18\.44\.10:6443 --token/);
    const everything = JSON.stringify(h.slack.calls);
    assert.doesNotMatch(everything, /abcdef\.0123456789abcdef/, 'the join token never reached Slack');
    // Drained and deleted through the API before the reset; the join registered the node again.
    const apiWrites = await readFile(path.join(h.lab.stateDir, 'api', 'writes.log'), 'utf8');
    assert.equal(apiWrites, 'cordon node-3\nevict default/web-node-3\ndelete node node-3\n');
    assert.match(
      thread,
      /evicted 1 pod\(s\) \(default\/web-node-3\), left 1 DaemonSet\/mirror pod\(s\), node object deleted/,
    );
    assert.ok(!existsSync(path.join(h.lab.stateDir, 'api', 'deleted-node-3')), 'node-3 registered again');
  });
});
