import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addFault, clearFault, type FaultSpec } from '../../src/lab/lab.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * `/netcheck preflight <node>` end to end: signed slash command → intake → probe job of kind
 * preflight → worker SSHes into the standby node (kept out of the cluster: no flannel.1, no CNI
 * config, no API record) and every existing node → pass/fail table in the thread.
 */
describe('preflight of a node before it joins, on the lab', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncpre', netIndex: 141, workers: 4, standby: ['node-4'] });
  });
  after(async () => {
    await h?.close();
  });

  async function withFaults<T>(specs: FaultSpec[], fn: () => Promise<T>): Promise<T> {
    for (const spec of specs) await addFault({ labId: h.lab.labId }, spec);
    try {
      return await fn();
    } finally {
      for (const spec of specs) await clearFault({ labId: h.lab.labId }, spec);
    }
  }

  /** Sends the command and resolves with the parent and the first reply in its thread. */
  async function preflight(node: string): Promise<{ parent: FakeMessage; reply: FakeMessage }> {
    const channel = 'C0INCIDENT';
    const before = new Set(h.slack.topLevel(channel).map((m) => m.ts));
    const res = await h.command(`preflight ${node}`, { channel });
    assert.equal(res.status, 200);
    assert.equal(res.body, '', 'accepted (empty ack)');
    const parent = await h.slack.waitFor(
      () => h.slack.topLevel(channel).find((m) => !before.has(m.ts) && m.text.includes(`*${node}*`)),
      20_000,
      `the parent for ${node}`,
    );
    const reply = await h.slack.waitFor(
      () => h.slack.replies(parent.ts)[0],
      30_000,
      `the answer for ${node}`,
    );
    return { parent, reply };
  }

  /** The table's lines (one per row) from the message's sections. */
  function lines(m: FakeMessage): string[] {
    return (m.blocks as { type: string; text?: { text: string } }[])
      .filter((b) => b.type === 'section')
      .flatMap((b) => b.text!.text.split('\n'))
      .filter((l) => /^:(white_check_mark|x|grey_question): `/.test(l));
  }

  it('a clean standby node: every prerequisite and every path both ways passes (product_uuid: no DMI in the lab)', async (t) => {
    const started = Date.now();
    const { parent, reply } = await preflight('node-4');
    t.diagnostic(
      `preflight table in the thread ${Date.now() - started} ms after the signed command (4 existing nodes)`,
    );
    const rows = lines(reply);
    const failed = rows.filter((l) => l.startsWith(':x:'));
    assert.deepEqual(failed, [], 'no check fails');
    const unknown = rows.filter((l) => l.startsWith(':grey_question:'));
    assert.equal(unknown.length, 1, `only product_uuid is unknown: ${unknown.join(' | ')}`);
    assert.match(unknown[0]!, /`product-uuid-unique`.*no product_uuid/);
    for (const check of [
      'br-netfilter-loaded',
      'bridge-nf-call-iptables',
      'ip-forward',
      'swap-off',
      'hostname-unique',
      'mac-unique',
      'no-foreign-cni-config',
      'node-net-outside-pod-net',
      'default-route',
      'clock-in-sync',
      'no-earlier-join',
    ])
      assert.ok(
        rows.some((l) => l.startsWith(`:white_check_mark: \`${check}\``)),
        `${check} passes`,
      );
    // Paths both ways with every existing node: ICMP, 10250/tcp, 8472/udp; 6443/tcp to the API server.
    for (const peer of ['cp-1', 'node-1', 'node-2', 'node-3'])
      for (const subject of [`node-4 → ${peer}`, `${peer} → node-4`])
        for (const check of ['icmp', 'tcp-10250', 'udp-8472'])
          assert.ok(
            rows.some((l) => l.startsWith(`:white_check_mark: \`${check}\` — ${subject}:`)),
            `${check} ${subject} passes`,
          );
    assert.ok(rows.some((l) => l.startsWith(':white_check_mark: `tcp-6443` — node-4 → API server')));
    assert.equal(
      rows.length,
      12 + 1 + 4 * 6,
      '12 prerequisites, 6443 to the API server, 6 paths per existing node',
    );
    const updated = await h.slack.waitFor(
      () => (parent.edits > 0 ? parent : undefined),
      10_000,
      'the outcome on the parent',
    );
    assert.match(updated.text, /no blocker found for node-4/);
  });

  it('two prerequisites broken: both are named with their catalog ids, and the node is not ready', async () => {
    await withFaults(
      [
        { id: 'ip-forward-disabled', node: 'node-4' },
        { id: 'leftover-cni-config', node: 'node-4' },
      ],
      async () => {
        const { parent, reply } = await preflight('node-4');
        const failed = lines(reply).filter((l) => l.startsWith(':x:'));
        assert.equal(failed.length, 2, failed.join('\n'));
        assert.match(
          failed.join('\n'),
          /`ip-forward-disabled` \(ip-forward\) — node-4: net\.ipv4\.ip_forward = 0/,
        );
        assert.match(
          failed.join('\n'),
          /`leftover-cni-config` \(no-foreign-cni-config\) — node-4: .*10-calico\.conflist/,
        );
        assert.match(
          messageText(reply),
          /not ready to join: 2 of \d+ checks failed \(ip-forward-disabled, leftover-cni-config\)/,
        );
        const updated = await h.slack.waitFor(
          () => (parent.edits > 0 ? parent : undefined),
          10_000,
          'the parent',
        );
        assert.match(updated.text, /:x: preflight \*node-4\*: node-4 is not ready/);
      },
    );
  });

  it('bridge netfilter off on the standby node is `br-netfilter-missing`', async () => {
    await withFaults([{ id: 'br-netfilter-missing', node: 'node-4' }], async () => {
      const { reply } = await preflight('node-4');
      const failed = lines(reply).filter((l) => l.startsWith(':x:'));
      assert.deepEqual(failed, [
        ':x: `br-netfilter-missing` (bridge-nf-call-iptables) — node-4: net.bridge.bridge-nf-call-iptables = 0; kubeadm needs 1',
      ]);
    });
  });

  it('UDP 8472 dropped on an existing node fails that direction only (`vxlan-8472-blocked`)', async () => {
    await withFaults([{ id: 'vxlan-8472-blocked', node: 'node-1' }], async () => {
      const { reply } = await preflight('node-4');
      const rows = lines(reply);
      const failed = rows.filter((l) => l.startsWith(':x:'));
      assert.equal(failed.length, 1, failed.join('\n'));
      assert.match(
        failed[0]!,
        /`vxlan-8472-blocked` \(udp-8472\) — node-4 → node-1: node-1 received nothing/,
      );
      assert.ok(
        rows.some((l) => l.startsWith(':white_check_mark: `udp-8472` — node-1 → node-4:')),
        rows.filter((l) => l.includes('udp-8472')).join('\n'),
      );
    });
  });

  it('a node already in the cluster gets a clear answer and nothing is probed', async () => {
    const { reply } = await preflight('node-2');
    assert.match(reply.text, /node-2 is already in the cluster; use \/netcheck node-2/);
  });

  it('a name that is not in the inventory is refused ephemerally and nothing is queued', async () => {
    const jobs = await h.probeJobCount();
    const res = await h.command('preflight node-9');
    assert.equal(res.status, 200);
    assert.match(JSON.parse(res.body).text, /no node "node-9" in the inventory/);
    assert.equal(await h.probeJobCount(), jobs);
  });
});
