import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { FaultSpec } from '../../src/lab/lab.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * `/netcheck <node>` end to end on real parts: signed slash command → Bolt → BullMQ on a private
 * Redis → worker → SSH into network-namespace nodes with their own sshd → diagnosis → outbox →
 * fake Slack. Faults are injected the way they happen (iptables rules, routes, files, devices).
 */
describe('netcheck end to end on the lab', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'nce2e', netIndex: 40 });
  });
  after(async () => {
    await h?.close();
  });

  it('a healthy node is reported `healthy`, in a thread under the parent, and the parent shows the verdict', async () => {
    const { parent, report } = await h.check('node-3');
    assert.match(parent.text, /checking \*node-3\*|node-3/);
    assert.equal(report.threadTs, parent.ts);
    assert.match(messageText(report), /`healthy`/);
    const updated = await h.slack.waitFor(
      () => (parent.edits > 0 ? parent : undefined),
      10_000,
      'the verdict on the parent',
    );
    assert.match(updated.text, /`healthy`/);
    assert.equal(h.slack.replies(parent.ts).length, 1, 'exactly one report in the thread');
  });

  it('the control plane itself is reported `healthy`', async () => {
    const { report } = await h.check('cp-1');
    assert.match(messageText(report), /`healthy`/);
  });

  const faults: { spec: FaultSpec; node: string; id: string; at?: string; evidence?: RegExp }[] = [
    {
      spec: { id: 'icmp-blocked', node: 'cp-1' },
      node: 'node-3',
      id: 'icmp-blocked',
      at: 'cp-1',
      evidence: /-A INPUT -p icmp/,
    },
    {
      spec: { id: 'icmp-blocked', node: 'node-2' },
      node: 'node-2',
      id: 'icmp-blocked',
      at: 'node-2',
      evidence: /-p icmp/,
    },
    {
      spec: { id: 'apiserver-port-blocked', node: 'cp-1' },
      node: 'node-1',
      id: 'apiserver-port-blocked',
      at: 'cp-1',
      evidence: /6443/,
    },
    {
      spec: { id: 'apiserver-port-blocked', node: 'node-1' },
      node: 'node-1',
      id: 'apiserver-port-blocked',
      at: 'node-1',
      evidence: /REJECT/,
    },
    { spec: { id: 'apiserver-down', node: 'cp-1' }, node: 'node-3', id: 'apiserver-down', at: 'cp-1' },
    {
      spec: { id: 'podcidr-overlaps-host-net', node: 'node-3' },
      node: 'node-3',
      id: 'podcidr-overlaps-host-net',
      evidence: /flannel\.1/,
    },
    {
      spec: { id: 'podcidr-not-assigned', node: 'node-3' },
      node: 'node-3',
      id: 'podcidr-not-assigned',
      evidence: /pod cidr not assigned/,
    },
    {
      spec: { id: 'podcidr-netconf-mismatch', node: 'node-3' },
      node: 'node-3',
      id: 'podcidr-netconf-mismatch',
      evidence: /10\.245\.0\.0\/16/,
    },
    {
      spec: { id: 'flannel1-missing', node: 'node-3' },
      node: 'node-3',
      id: 'flannel1-missing',
      evidence: /flannel\.1/,
    },
    {
      spec: { id: 'subnet-env-missing', node: 'node-3' },
      node: 'node-3',
      id: 'subnet-env-missing',
      evidence: /subnet\.env/,
    },
    {
      spec: { id: 'cni-config-missing', node: 'node-3' },
      node: 'node-3',
      id: 'cni-config-missing',
      evidence: /\/etc\/cni\/net\.d/,
    },
    {
      spec: { id: 'leftover-cni-config', node: 'node-3' },
      node: 'node-3',
      id: 'leftover-cni-config',
      evidence: /10-calico\.conflist/,
    },
    {
      spec: { id: 'stale-cni0-bridge', node: 'node-3' },
      node: 'node-3',
      id: 'stale-cni0-bridge',
      evidence: /10\.244\.103\.1/,
    },
    {
      spec: { id: 'forward-policy-drop', node: 'node-3' },
      node: 'node-3',
      id: 'forward-policy-drop',
      evidence: /FORWARD DROP/,
    },
    {
      spec: { id: 'ip-forward-disabled', node: 'node-3' },
      node: 'node-3',
      id: 'ip-forward-disabled',
      evidence: /ip_forward/,
    },
    {
      spec: { id: 'br-netfilter-missing', node: 'node-3' },
      node: 'node-3',
      id: 'br-netfilter-missing',
      evidence: /bridge-nf-call-iptables/,
    },
    {
      spec: { id: 'vxlan-8472-blocked', node: 'node-3' },
      node: 'node-3',
      id: 'vxlan-8472-blocked',
      at: 'node-3',
      evidence: /8472/,
    },
    {
      spec: { id: 'vxlan-8472-blocked', node: 'cp-1' },
      node: 'node-3',
      id: 'vxlan-8472-blocked',
      at: 'cp-1',
      evidence: /8472/,
    },
    {
      spec: { id: 'wrong-iface-public-ip', node: 'node-3' },
      node: 'node-3',
      id: 'wrong-iface-public-ip',
      evidence: /10\.0\.2\.15/,
    },
    { spec: { id: 'mtu-mismatch', node: 'node-3' }, node: 'node-3', id: 'mtu-mismatch', evidence: /1422/ },
    {
      spec: { id: 'vtep-mac-mismatch', node: 'node-3' },
      node: 'node-3',
      id: 'vtep-mac-mismatch',
      at: 'node-3',
    },
    { spec: { id: 'vtep-mac-mismatch', node: 'cp-1' }, node: 'node-3', id: 'vtep-mac-mismatch', at: 'cp-1' },
    {
      spec: { id: 'kube-proxy-missing', node: 'node-3' },
      node: 'node-3',
      id: 'kube-proxy-missing',
      evidence: /10\.96\.0\.1/,
    },
    { spec: { id: 'node-unreachable', node: 'node-2' }, node: 'node-2', id: 'node-unreachable' },
  ];
  for (const f of faults) {
    it(`${f.spec.id}@${f.spec.node}: /netcheck ${f.node} names \`${f.id}\` as the root cause`, async () => {
      await h.withFault(f.spec, async () => {
        const { parent, report } = await h.check(f.node);
        const text = messageText(report);
        const first = JSON.stringify(report.blocks[0]);
        assert.match(first, new RegExp(`\`${f.id}\``), `root cause shown first:\n${text}`);
        if (f.at)
          assert.match(
            JSON.stringify(report.blocks),
            new RegExp(`\`${f.id}\`\\* on \\*${f.at}\\*`),
            `attributed to ${f.at}`,
          );
        if (f.evidence) assert.match(text, f.evidence);
        const updated = await h.slack.waitFor(
          () => (parent.edits > 0 ? parent : undefined),
          10_000,
          'verdict',
        );
        assert.match(updated.text, new RegExp(`\`${f.id}\``));
      });
    });
  }

  it('after clearing the faults every node is `healthy` again (no false positives, no leftover state)', async () => {
    for (const node of ['cp-1', 'node-1', 'node-2', 'node-3']) {
      const { report } = await h.check(node);
      assert.match(messageText(report), /`healthy`/, `${node}:\n${messageText(report)}`);
    }
  });

  it('two faults on one node are both reported', async () => {
    await h.withFault({ id: 'icmp-blocked', node: 'node-3' }, () =>
      h.withFault({ id: 'cni-config-missing', node: 'node-3' }, async () => {
        const { report } = await h.check('node-3');
        const text = messageText(report);
        assert.match(text, /`icmp-blocked`/);
        assert.match(text, /`cni-config-missing`/);
      }),
    );
  });

  it('a host whose key is not the pinned one is refused and reported as `host-key-mismatch`', async () => {
    const original = await readFile(h.lab.knownHostsPath, 'utf8');
    const node1 = h.lab.nodes.find((n) => n.name === 'node-1')!;
    const node3 = h.lab.nodes.find((n) => n.name === 'node-3')!;
    // Pin node-1's key for node-3's address: node-3 now presents a key that is not the pinned one.
    const node1Line = original.split('\n').find((l) => l.split(' ')[0]?.split(',').includes(node1.host))!;
    const swapped = original
      .split('\n')
      .filter((l) => !l.split(' ')[0]?.split(',').includes(node3.host))
      .concat(node1Line.replace(node1.host, node3.host))
      .join('\n');
    const files = await readFile(h.inventoryPath, 'utf8');
    const knownHostsPath = `${h.dir}/known_hosts.swapped`;
    await writeFile(knownHostsPath, swapped);
    const inventoryPath = `${h.dir}/inventory.swapped.yaml`;
    await writeFile(inventoryPath, files.replace(/knownHostsPath: .*/, `knownHostsPath: ${knownHostsPath}`));
    await h.restartApp({ NETCHECK_INVENTORY: inventoryPath });
    try {
      const { report } = await h.check('node-3');
      assert.match(JSON.stringify(report.blocks[0]), /`host-key-mismatch`/);
      assert.doesNotMatch(messageText(report), /`healthy`/);
    } finally {
      await h.restartApp();
    }
  });
});
