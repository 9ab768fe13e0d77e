import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFault, clearFault, type FaultSpec, labExec } from '../../src/lab/lab.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const UNEXPLAINED = /Failed checks no known cause explains/;

function approveValue(report: FakeMessage): string {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: { action_id: string; value: string }[] }
    | undefined;
  const approve = actions?.elements.find((e) => e.action_id === 'netcheck_approve');
  assert.ok(approve, `the report offers an Approve button:\n${messageText(report)}`);
  return approve.value;
}

/**
 * The firewall as the kernel sees it, end to end through signed Slack requests: drops written in
 * native nftables, firewalld's table and iptables' raw table are found, named exactly (table,
 * chain, handle), fold every check they break, and the nft one is deleted by an approved plan.
 */
describe('firewall layers end to end on the lab', () => {
  let h: Harness;

  before(async () => {
    // The control plane runs Debian 13's userland (nft 1.1.3, iptables 1.8.11), node-2 Debian 12's
    // (nft 1.0.6, iptables 1.8.9): the rules are written and read by each release's own tools.
    h = await startHarness({
      labId: 'ncfw',
      netIndex: 100,
      distros: { 'cp-1': 'trixie', 'node-2': 'bookworm' },
    });
  });
  after(async () => {
    await h?.close();
  });

  const cases: {
    spec: FaultSpec;
    node: string;
    id: string;
    at: string;
    evidence: RegExp;
    plan?: RegExp;
    noPlan?: RegExp;
  }[] = [
    {
      spec: { id: 'icmp-blocked-nft', node: 'cp-1' },
      node: 'node-3',
      id: 'icmp-blocked',
      at: 'cp-1',
      evidence: /table inet filter chain input: icmp type echo-request drop # handle \d+/,
      plan: /nft delete rule inet filter input handle \d+/,
    },
    {
      spec: { id: 'icmp-blocked-nft', node: 'node-2' },
      node: 'node-2',
      id: 'icmp-blocked',
      at: 'node-2',
      evidence:
        /table inet filter chain output: ip daddr 198\.18\.100\.10 icmp type echo-request drop # handle \d+/,
    },
    {
      spec: { id: 'apiserver-port-blocked-nft', node: 'cp-1' },
      node: 'node-1',
      id: 'apiserver-port-blocked',
      at: 'cp-1',
      evidence: /table inet filter chain input: tcp dport 6443 drop # handle \d+/,
      plan: /nft delete rule inet filter input handle \d+/,
    },
    {
      spec: { id: 'vxlan-8472-blocked-nft', node: 'cp-1' },
      node: 'node-3',
      id: 'vxlan-8472-blocked',
      at: 'cp-1',
      evidence: /table inet filter chain input: udp dport 8472 drop # handle \d+/,
      plan: /nft delete rule inet filter input handle \d+/,
    },
    {
      spec: { id: 'icmp-blocked-raw', node: 'cp-1' },
      node: 'node-3',
      id: 'icmp-blocked',
      at: 'cp-1',
      evidence: /\*raw -A PREROUTING -p icmp -m icmp --icmp-type 8 -j DROP/,
      plan: /iptables-nft -t raw -D PREROUTING -p icmp -m icmp --icmp-type 8 -j DROP/,
    },
    {
      spec: { id: 'apiserver-port-blocked-raw', node: 'node-1' },
      node: 'node-1',
      id: 'apiserver-port-blocked',
      at: 'node-1',
      evidence: /\*raw -A OUTPUT -d 198\.18\.100\.10\/32 -p tcp -m tcp --dport 6443 -j DROP/,
    },
    {
      spec: { id: 'icmp-blocked-firewalld', node: 'cp-1' },
      node: 'node-3',
      id: 'icmp-blocked',
      at: 'cp-1',
      evidence: /table inet firewalld chain filter_INPUT: reject with icmpx admin-prohibited # handle \d+/,
      // A catch-all reject is the firewall itself: no plan deletes it, and the fix line says why.
      noPlan: /does not widen a firewall/,
    },
  ];
  for (const c of cases) {
    it(`${c.spec.id}@${c.spec.node}: /netcheck ${c.node} names \`${c.id}\` on ${c.at}, the exact rule, and leaves nothing unexplained`, async () => {
      await h.withFault(c.spec, async () => {
        const { report } = await h.check(c.node);
        const text = messageText(report);
        assert.match(JSON.stringify(report.blocks[0]), new RegExp(`\`${c.id}\``), text);
        assert.match(JSON.stringify(report.blocks), new RegExp(`\`${c.id}\`\\* on \\*${c.at}\\*`), text);
        assert.match(text, c.evidence);
        assert.doesNotMatch(text, UNEXPLAINED, text);
        if (c.noPlan) {
          assert.match(text, c.noPlan);
          assert.doesNotMatch(text, /netcheck_approve/);
        }
        if (c.plan) {
          assert.match(text, c.plan);
          assert.match(text, /the plan below does this/);
        }
      });
    });
  }

  it('icmp-blocked-nft@cp-1: the approved plan backs up every ruleset, deletes exactly that nft rule, and ping works again', async () => {
    const spec: FaultSpec = { id: 'icmp-blocked-nft', node: 'cp-1' };
    await addFault({ labId: h.lab.labId }, spec);
    try {
      const { parent, report } = await h.check('node-3');
      const handle = /nft delete rule inet filter input handle (\d+)/.exec(messageText(report))?.[1];
      assert.ok(handle, messageText(report));
      const res = await postButtonClick(h.appUrl, SIGNING_SECRET, {
        actionId: 'netcheck_approve',
        value: approveValue(report),
        user: 'U0APPROVER',
        channel: 'C0INCIDENT',
        messageTs: report.ts,
      });
      assert.equal(res.status, 200);
      const done = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed/.test(m.text)),
        30_000,
        'the verification',
      );
      assert.match(done.text, /Fixed and verified: node-3 is now `healthy`/);
      const table = await labExec(h.lab, 'cp-1', ['nft', '-a', 'list', 'table', 'inet', 'filter']);
      assert.doesNotMatch(table.stdout, /echo-request/, 'the rule is gone');
      assert.doesNotMatch(table.stdout, new RegExp(`# handle ${handle}\\n`));
      assert.match(
        table.stdout,
        /ct state established,related accept/,
        'nothing else in the table was touched',
      );
      const backup = await labExec(h.lab, 'cp-1', ['sh', '-c', 'cat /var/backups/netcheck/*/nft.ruleset']);
      assert.match(backup.stdout, /icmp type echo-request drop/, 'the whole ruleset was backed up first');
      const ipt = await labExec(h.lab, 'cp-1', [
        'sh',
        '-c',
        'cat /var/backups/netcheck/*/iptables-nft.rules',
      ]);
      assert.match(ipt.stdout, /\*filter/, 'and every iptables backend');
      const cp = h.lab.nodes.find((n) => n.name === 'cp-1')!;
      const ping = await labExec(h.lab, 'node-3', ['ping', '-n', '-c', '1', '-W', '1', cp.host]);
      assert.equal(ping.code, 0, 'the path works again');
    } finally {
      await clearFault({ labId: h.lab.labId }, spec);
    }
  });
});
