import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFault, clearFault, type FaultSpec, labExec } from '../../src/lab/lab.js';
import { tryRun } from '../../src/lab/lab-exec.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

/**
 * conntrack-table-full, public-ip-duplicate and peer-route-missing end to end: signed slash
 * commands → the app → SSH into lab nodes (node-1 on Debian 12's userland, node-2 on Debian 13's,
 * cp-1 and node-3 on the host's) → the report in the fake Slack; the safe fixes approved by a
 * signed click and verified by the executor's own re-diagnosis.
 */
const LAB = 'nccat2';

describe('conntrack-table-full, public-ip-duplicate, peer-route-missing on the lab', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      labId: LAB,
      netIndex: 110,
      distros: { 'node-1': 'bookworm', 'node-2': 'trixie' },
    });
  });
  after(async () => {
    await h?.close();
  });

  async function withFaults<T>(specs: FaultSpec[], fn: () => Promise<T>): Promise<T> {
    for (const spec of specs) await addFault({ labId: LAB }, spec);
    try {
      return await fn();
    } finally {
      for (const spec of [...specs].reverse()) await clearFault({ labId: LAB }, spec);
    }
  }

  /** The root cause shown first, and where it is attributed. */
  function assertFirst(report: FakeMessage, id: string, at: string): void {
    const text = messageText(report);
    assert.match(
      JSON.stringify(report.blocks[0]),
      new RegExp(`\`${id}\``),
      `root cause shown first:\n${text}`,
    );
    assert.match(
      JSON.stringify(report.blocks),
      new RegExp(`\`${id}\`\\* on \\*${at}\\*`),
      `attributed to ${at}`,
    );
  }

  const planIdOf = (report: FakeMessage): string => {
    const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
      | { elements: { action_id: string; value: string }[] }
      | undefined;
    const approve = actions?.elements.find((e) => e.action_id === 'netcheck_approve');
    assert.ok(approve, `the report offers an Approve button:\n${messageText(report)}`);
    return approve.value;
  };

  /** Approves the offered plan as the requester (a safe plan on a worker) and waits for the verification. */
  async function approveAndVerify(parent: FakeMessage, report: FakeMessage, node: string): Promise<string> {
    const res = await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planIdOf(report),
      user: 'U0ONCALL',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    assert.equal(res.status, 200);
    const done = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed|failed/.test(m.text)),
      60_000,
      'the verification',
    );
    assert.match(done.text, new RegExp(`Fixed and verified: ${node} is now \`healthy\``), done.text);
    return done.text;
  }

  const podPing = (from: string, to: string) =>
    tryRun([
      'ip',
      'netns',
      'exec',
      `${LAB}-${from}-pod`,
      'ping',
      '-n',
      '-c',
      '1',
      '-W',
      '1',
      h.lab.nodes.find((n) => n.name === to)!.podSubnet.replace(/0\/24$/, '2'),
    ]).then((r) => r.code === 0);

  it('every node is `healthy` before any fault', async () => {
    for (const node of ['cp-1', 'node-1', 'node-2', 'node-3']) {
      const { report } = await h.check(node);
      assert.match(messageText(report), /`healthy`/, `${node}: ${report.text}`);
    }
  });

  it('conntrack-table-full@node-1 (Debian 12): named with the counters; the approved plan raises and persists nf_conntrack_max; verified healthy', async () => {
    await withFaults([{ id: 'conntrack-table-full', node: 'node-1' }], async () => {
      const { parent, report } = await h.check('node-1', { user: 'U0ONCALL' });
      const text = messageText(report);
      assertFirst(report, 'conntrack-table-full', 'node-1');
      assert.match(text, /nf_conntrack_count 62000/);
      assert.match(text, /nf_conntrack_max 65536/);
      assert.doesNotMatch(text, /Failed checks no known cause explains/);
      assert.match(text, /from 65536 to 131072 \(up to 20 MiB more kernel memory when full/);
      assert.match(text, /90-netcheck-conntrack\.conf/);
      await approveAndVerify(parent, report, 'node-1');
      const after = await labExec(h.lab, 'node-1', [
        'sh',
        '-c',
        'cat /proc/sys/net/netfilter/nf_conntrack_max /etc/sysctl.d/90-netcheck-conntrack.conf; stat -c %a /etc/sysctl.d/90-netcheck-conntrack.conf',
      ]);
      assert.equal(after.stdout, '131072\nnet.netfilter.nf_conntrack_max = 131072\n644\n');
      const saved = await labExec(h.lab, 'node-1', [
        'sh',
        '-c',
        'cat /var/backups/netcheck/*/nf_conntrack_max',
      ]);
      assert.equal(saved.stdout.trim(), '65536', 'the old value was saved before the change');
    });
    const host = await tryRun(['cat', '/proc/sys/net/netfilter/nf_conntrack_max']);
    assert.notEqual(host.stdout.trim(), '131072', "the host's own table is never touched");
  });

  it('peer-route-missing@node-2 (Debian 13): the missing route, FDB and neighbour for cp-1 are named; the approved Flannel restart re-adds them; pods reach cp-1 again', async () => {
    await withFaults([{ id: 'peer-route-missing', node: 'node-2' }], async () => {
      assert.equal(await podPing('node-2', 'cp-1'), false, "node-2's pod cannot reach cp-1's pod");
      assert.equal(await podPing('node-2', 'node-3'), true, "node-2's pod still reaches node-3's pod");
      const { parent, report } = await h.check('node-2', { user: 'U0ONCALL' });
      const text = messageText(report);
      assertFirst(report, 'peer-route-missing', 'node-2');
      assert.match(text, /no 10\.244\.0\.0\/24 via 10\.244\.0\.0 dev flannel\.1 onlink/);
      assert.match(text, /cp-1 \(10\.244\.0\.0\/24\): no route, FDB entry, neighbour entry/);
      assert.match(text, /AddFDB failed: no buffer space available/);
      assert.doesNotMatch(text, /Failed checks no known cause explains/);
      assert.match(text, /crictl stop/);
      await approveAndVerify(parent, report, 'node-2');
      assert.equal(
        await podPing('node-2', 'cp-1'),
        true,
        "after the restart node-2's pod reaches cp-1's pod",
      );
      const log = await labExec(h.lab, 'node-2', ['cat', '/var/log/netcheck-lab-crictl.log']);
      assert.match(log.stdout, /crictl stop kube-flannel-node-2/);
    });
  });

  it("peer-route-missing with the API down: the expected peers come from the last node list seen (the peers' subnet.env without one: unit tests); both causes are named", async () => {
    await withFaults(
      [
        { id: 'apiserver-down', node: 'cp-1' },
        { id: 'peer-route-missing', node: 'node-3' },
      ],
      async () => {
        const { report } = await h.check('node-3');
        const text = messageText(report);
        assert.match(JSON.stringify(report.blocks), /`peer-route-missing`\* on \*node-3\*/, text);
        assert.match(JSON.stringify(report.blocks), /`apiserver-down`\* on \*cp-1\*/, text);
        assert.match(text, /cp-1 \(10\.244\.0\.0\/24\): no route, FDB entry, neighbour entry/);
      },
    );
  });

  it('public-ip-duplicate@node-3 (node-3 and node-1 on 10.0.2.15): named on both of them and from an uninvolved node, never as wrong-iface-public-ip', async () => {
    await withFaults([{ id: 'public-ip-duplicate', node: 'node-3' }], async () => {
      for (const [node, at] of [
        ['node-3', 'node-3'],
        ['node-1', 'node-1'],
        ['node-2', 'node-1'],
      ] as const) {
        const { report } = await h.check(node);
        const text = messageText(report);
        assertFirst(report, 'public-ip-duplicate', at);
        assert.match(text, /node-1 and node-3 all announce public-ip 10\.0\.2\.15/);
        assert.match(text, /node-1 → 198\.18\.110\.11, node-3 → 198\.18\.110\.13/);
        assert.doesNotMatch(
          JSON.stringify(report.blocks),
          /`wrong-iface-public-ip`\* on/,
          `${node}: ${text}`,
        );
        assert.doesNotMatch(text, /Failed checks no known cause explains/, `${node}: ${text}`);
        assert.doesNotMatch(
          text,
          /netcheck_approve/,
          'report only: no plan pretends to fix Flannel arguments',
        );
      }
    });
  });

  it('public-ip-duplicate with the API down: found from the peers’ FDB (two VTEP MACs behind one address)', async () => {
    await withFaults(
      [
        { id: 'apiserver-down', node: 'cp-1' },
        { id: 'public-ip-duplicate', node: 'node-3' },
      ],
      async () => {
        const { report } = await h.check('node-2');
        const text = messageText(report);
        assert.match(JSON.stringify(report.blocks), /`public-ip-duplicate`\* on \*node-1\*/, text);
        assert.match(text, /0e:6c:6e:00:00:01 dst 10\.0\.2\.15/);
        assert.match(text, /0e:6c:6e:00:00:03 dst 10\.0\.2\.15/);
      },
    );
  });

  it('wrong-iface-public-ip on one node alone stays wrong-iface-public-ip (no duplicate)', async () => {
    await withFaults([{ id: 'wrong-iface-public-ip', node: 'node-3' }], async () => {
      const { report } = await h.check('node-3');
      assertFirst(report, 'wrong-iface-public-ip', 'node-3');
      assert.doesNotMatch(JSON.stringify(report.blocks), /public-ip-duplicate/);
    });
  });

  it('after clearing the faults every node is `healthy` again', async () => {
    for (const node of ['cp-1', 'node-1', 'node-2', 'node-3']) {
      const { report } = await h.check(node);
      assert.match(messageText(report), /`healthy`/, `${node}: ${report.text}`);
    }
  });
});
