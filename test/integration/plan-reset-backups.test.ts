import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import type { Plan } from '../../src/remediation/plan.js';
import { stepText } from '../../src/remediation/step-text.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const decodeEntities = (s: string) =>
  s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
/** Everything inside ``` fences of a Slack message, in order, as Slack shows it. */
const shownCode = (m: FakeMessage) =>
  (m.blocks as { type?: string; text?: { text?: string } }[])
    .filter((b) => b.type === 'section')
    .flatMap((b) => [...(b.text?.text ?? '').matchAll(/```([\s\S]*?)```/g)].map((x) => decodeEntities(x[1]!)))
    .join('');
function approveValue(report: FakeMessage): string {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: { action_id: string; value: string }[] }
    | undefined;
  const approve = actions?.elements.find((e) => e.action_id === 'netcheck_approve');
  assert.ok(approve, `the report offers an Approve button:\n${messageText(report)}`);
  return approve.value;
}

const OLD = [
  '20000101T000000-plan-old1',
  '20000102T000000-plan-old2',
  '20000103T000000-plan-old3',
  '20000104T000000-plan-old4',
  '20000105T000000-plan-old5',
];

describe('worker reset on the lab: every command shown, private pruned backups, a join token that leaves no trace', () => {
  let h: Harness;
  let redis: Redis;
  before(async () => {
    h = await startHarness({
      labId: 'ncsignx',
      netIndex: 74,
      workers: 3,
      env: { NETCHECK_BACKUP_KEEP: '3' },
    });
    redis = new Redis(h.redis.url);
  });
  after(async () => {
    redis?.disconnect();
    await h?.close();
  });

  it('podcidr-overlaps-host-net → reset and rejoin', async () => {
    const node3 = (script: string) => labExec(h.lab, 'node-3', ['sh', '-c', script]);
    // Older netcheck backups (old5 is 40 days old), a folder of another name and another tool's backups.
    await node3(
      `mkdir -p /var/backups/netcheck /var/backups/other-tool/x /var/backups/netcheck/keep-me && chmod 755 /var/backups/netcheck && for d in ${OLD.join(' ')}; do mkdir -p /var/backups/netcheck/$d && echo old > /var/backups/netcheck/$d/iptables.rules; done && touch -d '40 days ago' /var/backups/netcheck/${OLD[4]}`,
    );
    await addFault({ labId: 'ncsignx' }, { id: 'podcidr-overlaps-host-net', node: 'node-3' });
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL' });
    const value = approveValue(report);
    const planId = value.split(':')[0]!;
    const plan = JSON.parse((await redis.hget(`${KEY_PREFIX}:plan:${planId}`, 'plan'))!) as Plan;

    // Every command the Approve button will run is in the message, in full, exactly as it runs.
    assert.equal(plan.steps.length, 9);
    const code = shownCode(report);
    for (const step of plan.steps) {
      const { command, check } = stepText(step);
      assert.ok(code.includes(`${command}\n# then checked with: ${check}`), `step ${step.n} shown in full`);
    }
    assert.ok(messageText(report).includes(plan.backupDir), 'the backup location is in the plan');

    await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value,
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    const verdict = await h.slack.waitFor(
      () =>
        h.slack
          .replies(parent.ts)
          .find((m) => /Fixed and verified|Not fixed|Stopped after|refused/.test(m.text)),
      60_000,
      'the result',
    );
    const thread = h.slack
      .replies(parent.ts)
      .map((m) => m.text)
      .join('\n');
    assert.match(verdict.text, /Fixed and verified: node-3 is now `healthy`/, thread);
    assert.match(thread, /joined, checked; join token abcdef deleted on cp-1/);

    // Backups: private to root (folder 0700, files 0600), and pruned to the newest 3.
    const modes = (await node3(`stat -c '%a %n' /var/backups/netcheck ${plan.backupDir} ${plan.backupDir}/*`))
      .stdout;
    const byName = new Map(
      modes
        .trim()
        .split('\n')
        .map((l) => [l.slice(4), l.slice(0, 3)] as const),
    );
    assert.equal(byName.get('/var/backups/netcheck'), '700', modes);
    assert.equal(byName.get(plan.backupDir), '700', modes);
    for (const f of ['iptables.rules', 'ip6tables.rules', 'ip-addr.txt', 'routes.txt', 'state.tgz'])
      assert.equal(byName.get(`${plan.backupDir}/${f}`), '600', `${f}: ${modes}`);
    const left = (await node3('ls -1 /var/backups/netcheck')).stdout.trim().split('\n');
    assert.deepEqual(
      left.sort(),
      [OLD[2], OLD[3], path.basename(plan.backupDir), 'keep-me'].sort(),
      "the newest 3 of netcheck's backups (old5 was over the age limit); other folders untouched",
    );
    assert.equal(
      (await node3('test -d /var/backups/other-tool/x')).code,
      0,
      "another tool's backups untouched",
    );

    // The join token: 10 minutes, never on a command line, in a 0600 file that is gone, deleted after use.
    const joinLog = (await node3('cat /var/log/netcheck-lab-kubeadm.log')).stdout;
    const joinLine = joinLog.split('\n').find((l) => l.includes('kubeadm join'));
    assert.match(
      joinLine ?? '',
      /kubeadm join --config \/run\/netcheck-join\.\S+ \(config mode 600: kubeadm join 198\.18\.74\.10:6443 --token abcdef\.<secret, not logged>; processes showing the secret: 0\)/,
    );
    assert.doesNotMatch(joinLog, /0123456789abcdef/, 'the secret is on no kubeadm command line');
    assert.notEqual((await node3('ls /run/netcheck-join.*')).code, 0, 'the 0600 join file is removed');
    const cpLog = (await labExec(h.lab, 'cp-1', ['cat', '/var/log/netcheck-lab-kubeadm.log'])).stdout;
    assert.match(
      cpLog,
      /kubeadm token create --ttl 10m --print-join-command\n.*kubeadm token delete abcdef\n/,
    );
    assert.equal(
      (await labExec(h.lab, 'cp-1', ['kubeadm', 'token', 'list'])).stdout.trim(),
      '',
      'no token left',
    );
    assert.doesNotMatch(JSON.stringify(h.slack.calls), /0123456789abcdef/, 'not in Slack');
    assert.doesNotMatch(h.logLines.join('\n'), /0123456789abcdef/, 'not in the logs');
    const auditText = JSON.stringify(await redis.xrange(`${KEY_PREFIX}:audit`, '-', '+'));
    assert.doesNotMatch(auditText, /0123456789abcdef/, 'not in the audit log');
  });

  it('control-plane re-init (no node has a podCIDR): all 10 steps shown in full in the report', async () => {
    for (const node of ['cp-1', 'node-1', 'node-2', 'node-3'])
      await addFault({ labId: 'ncsignx' }, { id: 'podcidr-not-assigned', node });
    try {
      const { report } = await h.check('cp-1', { user: 'U0ONCALL' });
      const planId = approveValue(report).split(':')[0]!;
      const plan = JSON.parse((await redis.hget(`${KEY_PREFIX}:plan:${planId}`, 'plan'))!) as Plan;
      assert.equal(plan.remedy.kind, 'reinit-control-plane');
      assert.equal(plan.steps.length, 10);
      const code = shownCode(report);
      for (const step of plan.steps) {
        const { command, check } = stepText(step);
        assert.ok(code.includes(`${command}\n# then checked with: ${check}`), `step ${step.n} shown in full`);
      }
      assert.ok(report.blocks.length <= 50);
    } finally {
      for (const node of ['cp-1', 'node-1', 'node-2', 'node-3'])
        await clearFault({ labId: 'ncsignx' }, { id: 'podcidr-not-assigned', node }).catch(() => undefined);
    }
  });
});
