import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  addFault,
  clearFault,
  egressDrops,
  type FaultSpec,
  labDown,
  labExec,
  labUp,
} from '../../src/lab/lab.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, messageText, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const LAB = 'nccat1';
const NET = 105;
/** TEST-NET-3 (RFC 5737): never routed on the internet. (192.0.2.1 is this machine's own gateway here.) */
const OUTSIDE = '203.0.113.1';

function approveValue(report: FakeMessage): string | undefined {
  const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as
    | { elements: { action_id: string; value: string }[] }
    | undefined;
  return actions?.elements.find((e) => e.action_id === 'netcheck_approve')?.value;
}

/**
 * flannel1-stale-address, no-default-route, network-manager-interference and vxlan-checksum-offload
 * end to end: signed slash command → diagnosis over SSH on the lab → report; for the safe fixes a
 * signed Approve click, the plan run on the node, and the re-probe that finds the node healthy.
 */
describe('host network faults end to end on the lab', () => {
  let h: Harness;

  before(async () => {
    // node-1 runs Debian 12's userland and node-2 Debian 13's, so the fixes run on both releases' tools.
    h = await startHarness({
      labId: LAB,
      netIndex: NET,
      distros: { 'node-1': 'bookworm', 'node-2': 'trixie' },
    });
  });
  after(async () => {
    await h?.close();
  });

  const inNode = (node: string, ...argv: string[]) => labExec(h.lab, node, argv);

  async function withFault<T>(spec: FaultSpec, fn: () => Promise<T>): Promise<T> {
    await addFault({ labId: LAB }, spec);
    try {
      return await fn();
    } finally {
      await clearFault({ labId: LAB }, spec);
    }
  }

  /** /netcheck <node>: the root cause shown first, its evidence; then Approve, and the verified fix. */
  async function diagnoseAndFix(node: string, id: string, evidence: RegExp): Promise<void> {
    const { parent, report } = await h.check(node, { user: 'U0ONCALL' });
    const text = messageText(report);
    assert.match(
      JSON.stringify(report.blocks[0]),
      new RegExp(`\`${id}\``),
      `root cause shown first:\n${text}`,
    );
    assert.match(text, evidence);
    assert.match(JSON.stringify(report.blocks), new RegExp(`Fix plan for \`${id}\``));
    const planId = approveValue(report);
    assert.ok(planId, `the report offers an Approve button:\n${text}`);
    const click = await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planId,
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    assert.equal(click.status, 200);
    const done = await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed|failed/i.test(m.text)),
      30_000,
      'the verification',
    );
    assert.match(done.text, new RegExp(`Fixed and verified: ${node} is now \`healthy\``), done.text);
  }

  it('every node is `healthy`: default route present, NetworkManager not running (not applicable), offload on without bad checksums', async () => {
    for (const node of ['cp-1', 'node-1', 'node-2', 'node-3']) {
      const { report } = await h.check(node);
      const text = messageText(report);
      assert.match(text, /`healthy`/, `${node}:\n${text}`);
      const routes = await inNode(node, 'ip', 'route', 'show', 'default');
      assert.equal(routes.stdout.trim(), `default via 198.18.${NET}.1 dev eth0`);
      const nm = await inNode(node, 'nmcli', '-t', '-f', 'DEVICE,STATE', 'dev');
      assert.equal(nm.code, 8, 'the stand-in nmcli answers as with NetworkManager stopped');
    }
  });

  it('every node routes by default to the host, and the host drops whatever a node sends beyond it', async () => {
    const dropsBefore = await egressDrops(LAB);
    assert.notEqual(dropsBefore, undefined, 'the egress guard is installed before anything is sent');
    for (const node of h.lab.specs) {
      const route = await inNode(node.name, 'ip', 'route', 'get', OUTSIDE);
      assert.match(
        route.stdout,
        new RegExp(`via 198\\.18\\.${NET}\\.1 dev eth0`),
        `${node.name} has a way out`,
      );
    }
    const out = await inNode('node-3', 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', OUTSIDE);
    assert.notEqual(out.code, 0, 'nothing answers from outside');
    const dropsAfter = await egressDrops(LAB);
    assert.ok(
      dropsAfter! >= dropsBefore! + 3,
      `the guard dropped the 3 echo requests (${dropsBefore} → ${dropsAfter})`,
    );
    // The host itself and the other nodes are still reachable: only routed traffic is dropped.
    assert.equal((await inNode('node-3', 'ping', '-n', '-c', '1', '-W', '1', `198.18.${NET}.1`)).code, 0);
    assert.equal((await inNode('node-3', 'ping', '-n', '-c', '1', '-W', '1', `198.18.${NET}.11`)).code, 0);
  });

  it("a node whose /tmp went read-only is still diagnosed: the bundle's files are in /dev/shm", async () => {
    // node-2 on Debian 13's root, node-3 on the host's; each node's mount namespace is its own.
    for (const node of ['node-2', 'node-3']) {
      const ro = await inNode(node, 'sh', '-c', 'mount --rbind /tmp /tmp && mount -o remount,bind,ro /tmp');
      assert.equal(ro.code, 0, ro.stderr);
      try {
        const write = await inNode(node, 'sh', '-c', 'mkdir /tmp/netcheck-ro-check');
        assert.notEqual(write.code, 0, `${node}'s /tmp takes no new directory`);
        const { report } = await h.check(node);
        const text = messageText(report);
        assert.match(text, /`healthy`/, `${node}:\n${text}`);
      } finally {
        await inNode(node, 'umount', '-R', '/tmp');
      }
    }
  });

  it('flannel1-stale-address@node-3: named with the extra address; the approved plan removes it and node-3 is healthy', async () => {
    await withFault({ id: 'flannel1-stale-address', node: 'node-3' }, async () => {
      await diagnoseAndFix('node-3', 'flannel1-stale-address', /169\.254\.23\.13\/16/);
      const addrs = await inNode('node-3', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'flannel.1');
      assert.doesNotMatch(addrs.stdout, /169\.254/);
      assert.match(addrs.stdout, /inet 10\.244\.3\.0\/32/, "Flannel's own address stays");
    });
  });

  it("no-default-route@node-2 (Debian 13): named with the empty route table and Flannel's line; report only, no plan", async () => {
    await withFault({ id: 'no-default-route', node: 'node-2' }, async () => {
      const { report } = await h.check('node-2');
      const text = messageText(report);
      assert.match(JSON.stringify(report.blocks[0]), /`no-default-route`/, text);
      assert.match(text, /no default route/);
      assert.match(text, /Failed to find any valid interface/);
      assert.match(text, /--iface=eth0/);
      assert.equal(approveValue(report), undefined, 'no automatic plan');
    });
    const { report } = await h.check('node-2');
    assert.match(messageText(report), /`healthy`/, 'cleared: healthy again');
  });

  it('network-manager-interference@node-1 (Debian 12): NetworkManager manages cni0/flannel.1; the approved drop-in makes them unmanaged and cni0 gets its address back', async () => {
    await withFault({ id: 'network-manager-interference', node: 'node-1' }, async () => {
      await diagnoseAndFix('node-1', 'network-manager-interference', /cni0:connected \(externally\)/);
      const conf = await inNode('node-1', 'cat', '/etc/NetworkManager/conf.d/99-netcheck-unmanaged.conf');
      assert.equal(conf.stdout, '[keyfile]\nunmanaged-devices=interface-name:cni0;interface-name:flannel*\n');
      const nm = await inNode('node-1', 'nmcli', '-t', '-f', 'DEVICE,STATE', 'dev');
      assert.match(nm.stdout, /^cni0:unmanaged$/m);
      assert.match(nm.stdout, /^flannel\.1:unmanaged$/m);
      assert.match(
        (await inNode('node-1', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'cni0')).stdout,
        /10\.244\.1\.1\/24/,
      );
    });
  });

  it("vxlan-checksum-offload@node-2 (Debian 13): offload on with the kernel's bad-checksum lines; the approved plan turns it off and persists it", async () => {
    await withFault({ id: 'vxlan-checksum-offload', node: 'node-2' }, async () => {
      await diagnoseAndFix(
        'node-2',
        'vxlan-checksum-offload',
        /UDP: bad checksum\. From 198\.18\.105\.\d+:\d+ to 198\.18\.105\.12:8472/,
      );
      const features = await inNode('node-2', 'ethtool', '-k', 'flannel.1');
      assert.match(features.stdout, /tx-checksum-ip-generic: off/);
      const rule = await inNode('node-2', 'cat', '/etc/udev/rules.d/90-netcheck-flannel-offload.rules');
      assert.match(
        rule.stdout,
        /KERNEL=="flannel\.1", RUN\+="\/\S*ethtool -K flannel\.1 tx-checksum-ip-generic off"/,
      );
    });
    const features = await inNode('node-2', 'ethtool', '-k', 'flannel.1');
    assert.match(features.stdout, /tx-checksum-ip-generic: on/, 'cleared: back to the lab default');
  });
});

describe('the egress guard follows its lab', () => {
  it('lab up installs it before the nodes exist and lab down removes exactly its rules', async () => {
    await labDown({ labId: 'nccat1b' });
    assert.equal(await egressDrops('nccat1b'), undefined);
    const lab = await labUp({ labId: 'nccat1b', netIndex: 106, workers: 1 });
    try {
      assert.notEqual(await egressDrops('nccat1b'), undefined, 'installed with the lab');
      const route = await labExec(lab, 'node-1', ['ip', 'route', 'show', 'default']);
      assert.equal(route.stdout.trim(), 'default via 198.18.106.1 dev eth0');
    } finally {
      await labDown({ labId: 'nccat1b' });
    }
    assert.equal(await egressDrops('nccat1b'), undefined, 'its rules are gone with the lab');
  });
});
