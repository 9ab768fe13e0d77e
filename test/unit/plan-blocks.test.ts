import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { DiagnosisReport } from '../../src/diagnosis/diagnosis-report.js';
import type { Plan } from '../../src/remediation/plan.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import { planFor } from '../../src/remediation/runbooks.js';
import { stepText } from '../../src/remediation/step-text.js';
import type { Block } from '../../src/slack/blocks/block.js';
import { planBlocks } from '../../src/slack/blocks/plan-blocks.js';
import { parsePlanButtonValue } from '../../src/slack/blocks/plan-button-value.js';
import { shellQuote } from '../../src/ssh/remote-command.js';

const signer = createPlanSigner('unit-test-plan-key-0123456789abcdef');
const ids = { planId: 'plan-1', runId: 'run-1', requestedBy: 'U0REQ', createdAt: '2026-11-24T03:00:00.000Z' };
const planOf = (remedy: unknown): Plan =>
  signer.sign(planFor({ rootCauses: [{ id: 'x', remedy }] } as unknown as DiagnosisReport, ids)!);

const workerReset = () =>
  planOf({
    kind: 'reset-worker',
    node: 'node-3',
    controlPlane: 'cp-1',
    uplink: { iface: 'eth0', address: '198.18.0.13', prefixlen: 24 },
  });
const controlPlaneReinit = () =>
  planOf({ kind: 'reinit-control-plane', node: 'cp-1', podNetworkCidr: '10.244.0.0/16' });
const deleteRules = (lines: string[]) =>
  planOf({
    kind: 'delete-iptables-rules',
    node: 'cp-1',
    rules: lines.map((line) => ({ table: 'filter', line })),
  });

const decodeEntities = (s: string) =>
  s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
const sectionTexts = (blocks: Block[]) =>
  blocks.filter((b) => b.type === 'section').map((b) => (b.text as { text: string }).text);
/** Everything inside ``` fences, in order, as Slack shows it (entities decoded). */
const shownCode = (blocks: Block[]) =>
  sectionTexts(blocks)
    .flatMap((t) => [...t.matchAll(/```([\s\S]*?)```/g)].map((m) => decodeEntities(m[1]!)))
    .join('');
const approveButton = (blocks: Block[]) =>
  (
    blocks.find((b) => b.type === 'actions')?.elements as { action_id: string; value: string }[] | undefined
  )?.find((e) => e.action_id === 'netcheck_approve');

function assertWithinSlackLimits(blocks: Block[]): void {
  assert.ok(blocks.length <= 50, `${blocks.length} blocks`);
  for (const t of sectionTexts(blocks)) assert.ok(t.length <= 3000, `a section of ${t.length} characters`);
}

describe('plan blocks: the approver sees every command', () => {
  for (const [name, make, steps] of [
    ['worker reset', workerReset, 9],
    ['control-plane re-init', controlPlaneReinit, 10],
  ] as const) {
    it(`${name}: all ${steps} steps, each command and check in full, exactly as it runs`, () => {
      const plan = make();
      assert.equal(plan.steps.length, steps);
      const blocks = planBlocks(plan, new Set(['cp-1']));
      assertWithinSlackLimits(blocks);
      const code = shownCode(blocks);
      for (const step of plan.steps) {
        const { command, check } = stepText(step);
        assert.ok(
          code.includes(`${command}\n# then checked with: ${check}`),
          `step ${step.n} in full:\n${command}`,
        );
        assert.ok(
          sectionTexts(blocks).some((t) => t.includes(`*${step.n}. `)),
          `step ${step.n} has its header`,
        );
      }
      assert.doesNotMatch(code, /…|\(cut/, 'nothing is cut');
      const button = approveButton(blocks);
      assert.ok(button, 'offered for approval');
      assert.deepEqual(parsePlanButtonValue(button.value), { planId: 'plan-1', hash: plan.hash });
      assert.match(
        JSON.stringify(blocks),
        /\/var\/backups\/netcheck\/20261124T030000-plan-1/,
        'the backup location',
      );
    });
  }

  it('commands read as typed: quoted only where needed', () => {
    const plan = deleteRules([
      '-A INPUT -p icmp -j DROP',
      '-A INPUT -p icmp -m comment --comment "it\'s <!channel>" -j DROP',
    ]);
    const code = shownCode(planBlocks(plan, new Set(['cp-1'])));
    assert.ok(code.includes('iptables -t filter -D INPUT -p icmp -j DROP\n'), code);
    assert.ok(
      code.includes(`iptables -t filter -D INPUT -p icmp -m comment --comment 'it'\\''s <!channel>' -j DROP`),
    );
    assert.doesNotMatch(
      JSON.stringify(planBlocks(plan, new Set(['cp-1']))),
      /<!channel>/,
      'escaped for mrkdwn',
    );
  });

  it('a command longer than a section is split over several blocks and still shown whole', () => {
    const plan = deleteRules([`-A INPUT -p icmp -m comment --comment "${'x'.repeat(7000)}" -j DROP`]);
    const blocks = planBlocks(plan, new Set(['cp-1']));
    assertWithinSlackLimits(blocks);
    const command = stepText(plan.steps[1]!).command;
    assert.ok(command.length > 7000);
    assert.ok(shownCode(blocks).includes(command));
    assert.ok(sectionTexts(blocks).some((t) => /step 2, part 3 of \d+, continued/.test(t)));
    assert.ok(approveButton(blocks));
  });

  it('a plan that cannot be shown in full within one message is not offered for approval, and says so', () => {
    const plan = deleteRules(
      Array.from({ length: 5000 }, (_, i) => `-A INPUT -p icmp -m comment --comment "r${i}" -j DROP`),
    );
    const blocks = planBlocks(plan, new Set(['cp-1']));
    assertWithinSlackLimits(blocks);
    assert.equal(approveButton(blocks), undefined);
    assert.equal(
      blocks.find((b) => b.type === 'actions'),
      undefined,
      'no buttons at all',
    );
    assert.match(JSON.stringify(blocks), /Not offered for approval/);
  });

  it('a command that cannot be shown exactly (``` in it) is not offered either', () => {
    const blocks = planBlocks(
      deleteRules(['-A INPUT -p icmp -m comment --comment "```" -j DROP']),
      new Set(['cp-1']),
    );
    assert.equal(approveButton(blocks), undefined);
    assert.match(JSON.stringify(blocks), /cannot be shown exactly as it runs/);
  });
});

describe('minimal shell quoting', () => {
  it('plain words stay bare; everything else is quoted and reaches the command intact', () => {
    for (const plain of [
      'iptables',
      '-D',
      '198.18.0.10',
      '--pod-network-cidr=10.244.0.0/16',
      'net.ipv4.ip_forward=1',
      'a:b,c@d%e+f',
    ])
      assert.equal(shellQuote(plain), plain);
    for (const tricky of [
      '',
      'FOO=bar',
      'if',
      'done',
      'a b',
      "it's",
      '$(reboot)',
      '`id`',
      '*',
      '~root',
      '#x',
      'a;b',
      'a\nb',
      '<x>',
      '!x',
    ])
      assert.equal(
        execFileSync('sh', ['-c', `printf %s ${shellQuote(tricky)}`], { encoding: 'utf8' }),
        tricky,
        `${JSON.stringify(tricky)} → ${shellQuote(tricky)}`,
      );
    assert.equal(shellQuote('FOO=bar'), "'FOO=bar'", 'an assignment-looking word is quoted');
  });
});

describe('the approval rule shown with a plan', () => {
  it('is the one enforced: a safe change to a control-plane node needs an approver', () => {
    const plan = deleteRules(['-A INPUT -p icmp -j DROP']);
    const intro = (cp: ReadonlySet<string>) => sectionTexts(planBlocks(plan, cp))[0] ?? '';
    assert.match(
      intro(new Set(['cp-1'])),
      /changes the control plane: needs an approver who is not the requester/,
    );
    assert.match(intro(new Set(['cp-9'])), /safe: the requester may approve/);
  });
});
