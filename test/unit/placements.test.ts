import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { ClusterFacts } from '../../src/probes/cluster-facts.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { planFor } from '../../src/remediation/runbooks.js';
import { renderReport } from '../../src/slack/blocks/report-blocks.js';
import { observeSweep } from '../../src/worker/sweep-observe.js';
import {
  clusterFacts,
  clusterFactsWithPeer,
  fixture,
  healthyWorkerOutputs,
} from '../support/facts-builder.js';
import { CP_OVERLAY_ENTRIES, ICMP_DROP, nftWith, PING_LOST } from '../support/firewall-fixtures.js';

const planIds = { planId: 'p', runId: 'r', requestedBy: 'U', createdAt: '2026-12-07T00:00:00.000Z' };
const causes = (facts: ClusterFacts) => diagnose(facts).rootCauses.map((c) => `${c.id}@${c.node}`);

/** `/netcheck cp-1`: the control plane's own probes (to its own address among them), healthy but for `cp`. */
function controlPlaneTarget(cp: Record<string, Partial<ProbeOutput>>): ClusterFacts {
  const own: Record<string, Partial<ProbeOutput>> = {
    ...healthyWorkerOutputs('cp-1'),
    [PROBE.flannelLink]: {
      stdout: fixture('ip-link-flannel-present.json').replace('198.18.0.13', '198.18.0.10'),
    },
    [PROBE.addresses]: {
      stdout: fixture('ip-addr.json')
        .replace('198.18.0.13', '198.18.0.10')
        .replaceAll('10.244.3.', '10.244.0.'),
    },
    [PROBE.subnetEnv]: {
      stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\nFLANNEL_MTU=1450\n',
    },
  };
  return { ...clusterFacts({ cp: { ...own, ...cp } }), target: 'cp-1' };
}

const LO_ACCEPT = [
  { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'lo' } },
  { accept: null },
];
const TCP_6443_DROP = [
  { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 6443 } },
  { drop: null },
];
const CURL_TIMEOUT = { exitCode: 28, stdout: '000 0 0.000000\n', stderr: 'curl: (28) Connection timed out' };

describe('the control plane diagnosing itself: traffic to its own address passes its firewall', () => {
  it('an ICMP drop in its input chain stops its ping to itself: icmp-blocked on cp-1, that rule, a plan that deletes it', () => {
    const facts = controlPlaneTarget({
      [PROBE.pingControlPlane]: PING_LOST,
      [PROBE.nftRuleset]: { stdout: nftWith([ICMP_DROP]) },
    });
    const report = diagnose(facts);
    assert.deepEqual(causes(facts), ['icmp-blocked@cp-1']);
    assert.deepEqual(report.unexplained, []);
    const plan = planFor(report, planIds);
    assert.ok(
      plan?.steps.some(
        (s) => s.kind === 'shell' && s.command === 'nft delete rule inet filter input handle 7',
      ),
    );
  });

  it('a drop of 6443/tcp stops its HTTPS check to its own API server: apiserver-port-blocked on cp-1', () => {
    const facts = controlPlaneTarget({
      [PROBE.httpsApiServer]: CURL_TIMEOUT,
      [PROBE.nftRuleset]: { stdout: nftWith([TCP_6443_DROP]) },
    });
    assert.deepEqual(causes(facts), ['apiserver-port-blocked@cp-1']);
    assert.deepEqual(diagnose(facts).unexplained, []);
  });

  it('`iifname "lo" accept` before the drop lets its own traffic by: that drop is not blamed, and no path between nodes is', () => {
    const facts = controlPlaneTarget({
      [PROBE.pingControlPlane]: PING_LOST,
      [PROBE.nftRuleset]: { stdout: nftWith([LO_ACCEPT, ICMP_DROP]) },
    });
    const report = diagnose(facts);
    assert.equal(planFor(report, planIds), undefined);
    assert.ok(report.rootCauses.every((c) => c.remedy === undefined));
    for (const c of report.rootCauses) {
      assert.doesNotMatch(c.cause, /path between/);
      assert.doesNotMatch(c.fix, /path between/);
    }
  });
});

const LOST = PING_LOST;
const OVERLAY_LOST = { 'overlay-ping:10.244.1.0': LOST, 'overlay-df-ping:10.244.1.0': LOST };
/** A flannel.1 bound to `local`: node-3's (the fixture's MAC), or node-1's as clusterFactsWithPeer has it. */
const linkAt = (local: string, node: 'node-3' | 'node-1' = 'node-1') => {
  const link = fixture('ip-link-flannel-present.json').replace('"198.18.0.13"', `"${local}"`);
  return node === 'node-1' ? link.replace('"8a:2b:02:7a:5e:54"', '"5a:1e:8d:1c:11:01"') : link;
};

describe("a peer's own Flannel fault, seen from the target's failed checks to it", () => {
  it('the peer has no flannel.1: flannel1-missing on the peer, not a firewall on the path', () => {
    const facts = clusterFactsWithPeer({
      target: OVERLAY_LOST,
      peer: { [PROBE.flannelLink]: { exitCode: 0, stdout: 'NODEV\n' } },
    });
    const report = diagnose(facts);
    assert.deepEqual(causes(facts), ['flannel1-missing@node-1']);
    assert.deepEqual(report.unexplained, []);
    assert.match(report.rootCauses[0]!.cause, /node-1 has no flannel\.1/);
    // The fix is on the peer, and the target's report offers no plan for it.
    assert.match(report.rootCauses[0]!.fix, /on node-1 .*\/netcheck node-1/);
    assert.equal(planFor(report, planIds), undefined);
  });

  it("the peer's flannel.1 uses another address: wrong-iface-public-ip on the peer", () => {
    const facts = clusterFactsWithPeer({
      target: OVERLAY_LOST,
      peer: { [PROBE.flannelLink]: { stdout: linkAt('10.0.2.15') } },
    });
    assert.deepEqual(causes(facts), ['wrong-iface-public-ip@node-1']);
    assert.deepEqual(diagnose(facts).unexplained, []);
    // What the node says is data: not an address, it is quoted, cut short and never a mention.
    const hostile = clusterFactsWithPeer({
      target: OVERLAY_LOST,
      peer: { [PROBE.flannelLink]: { stdout: linkAt(`<!channel> ${'x'.repeat(200)}`) } },
    });
    const cause = diagnose(hostile).rootCauses[0]!;
    assert.equal(cause.id, 'wrong-iface-public-ip');
    assert.ok(cause.cause.includes('"<!channel> xxx') && cause.cause.length < 400, cause.cause);
    const blocks = JSON.stringify(renderReport(diagnose(hostile), 'r', new Set(['cp-1'])).blocks);
    assert.doesNotMatch(blocks, /<!channel>/);
  });

  it("the peer's Flannel network covers the node network: podcidr-overlaps-host-net on the peer explains its silence", () => {
    const facts = clusterFactsWithPeer({
      target: { ...OVERLAY_LOST, 'ping-node:node-1': LOST },
      peer: {
        [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=198.18.0.0/15\nFLANNEL_SUBNET=10.244.1.1/24\n' },
      },
    });
    const report = diagnose(facts);
    assert.deepEqual(causes(facts), ['podcidr-overlaps-host-net@node-1']);
    assert.deepEqual(report.unexplained, []);
  });

  it('the peer lacks its forwarding entry for the target: peer-route-missing on the peer, not the path', () => {
    const onlyCp = '[{"mac":"5a:1e:8d:1c:11:00","dst":"198.18.0.10","flags":["self"],"state":"permanent"}]';
    const facts = clusterFactsWithPeer({ target: OVERLAY_LOST, peer: { [PROBE.fdb]: { stdout: onlyCp } } });
    assert.deepEqual(causes(facts), ['peer-route-missing@node-1']);
    assert.deepEqual(diagnose(facts).unexplained, []);
    // The target bound to the wrong address: the peer's table points elsewhere because of the target.
    const wrongTarget = clusterFactsWithPeer({
      worker: { [PROBE.flannelLink]: { stdout: linkAt('10.0.2.15', 'node-3') } },
      target: OVERLAY_LOST,
      peer: { [PROBE.fdb]: { stdout: onlyCp } },
    });
    assert.deepEqual(causes(wrongTarget), ['wrong-iface-public-ip@node-3']);
  });

  it('nothing is blamed on a peer whose fault does not touch the target, nor twice when the target has the same fault', () => {
    const untouched = clusterFactsWithPeer({ peer: { [PROBE.flannelLink]: { stdout: 'NODEV\n' } } });
    assert.deepEqual(causes(untouched), []);
    const both = clusterFactsWithPeer({
      worker: { [PROBE.flannelLink]: { stdout: 'NODEV\n' } },
      target: OVERLAY_LOST,
      peer: { [PROBE.flannelLink]: { stdout: 'NODEV\n' } },
    });
    assert.deepEqual(
      diagnose(both)
        .rootCauses.filter((c) => c.id === 'flannel1-missing')
        .map((c) => c.node),
      ['node-3'],
    );
  });

  it('the peer is healthy: a dead overlay with nothing dropping it is still the path between them', () => {
    const facts = clusterFactsWithPeer({ target: OVERLAY_LOST });
    assert.deepEqual(causes(facts), ['vxlan-8472-blocked@node-3']);
    assert.match(diagnose(facts).rootCauses[0]!.cause, /path between them/);
  });
});

const DEFAULT_DENY = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;

describe('a default-deny firewall on a peer (INPUT policy DROP, only SSH and replies let in)', () => {
  it('stops everything from the target to it: one finding on the peer names the policy and explains every failed check, with no plan', () => {
    const facts = clusterFactsWithPeer({
      target: {
        ...OVERLAY_LOST,
        'ping-node:node-1': LOST,
        'tcp-node:node-1': { exitCode: 1, stdout: 'tcp-connect ETIMEDOUT\n' },
      },
      peer: { [PROBE.iptables]: { stdout: DEFAULT_DENY } },
    });
    const report = diagnose(facts);
    assert.deepEqual(causes(facts), ['vxlan-8472-blocked@node-1']);
    assert.deepEqual(report.unexplained, [], report.unexplained.map((c) => c.title).join('; '));
    const cause = report.rootCauses[0]!;
    assert.match(
      cause.cause,
      /policy in table filter, chain INPUT on node-1 drops VXLAN .*; it also stops ping node-1/,
    );
    assert.equal(cause.remedy, undefined);
    assert.match(cause.fix, /drop policy on node-1/);
    assert.equal(planFor(report, planIds), undefined);
  });
});

describe('one default-deny policy on the control plane, seen through several kinds of traffic', () => {
  it('is one root cause: the finding for 6443 names the policy, the VXLAN finding blaming the same policy is folded under it', () => {
    const facts = clusterFacts({
      worker: {
        [PROBE.pingControlPlane]: PING_LOST,
        [PROBE.httpsApiServer]: CURL_TIMEOUT,
        'overlay-ping:10.244.0.0': { ...PING_LOST, command: "ping -n -c 1 -W 1 '10.244.0.0'" },
      },
      cp: {
        [PROBE.iptables]: { stdout: DEFAULT_DENY },
        [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\n' },
      },
    });
    const report = diagnose(facts);
    assert.deepEqual(causes(facts), ['apiserver-port-blocked@cp-1']);
    assert.deepEqual(
      report.rootCauses[0]!.folded.map((f) => `${f.id}@${f.node}`),
      ['vxlan-8472-blocked@cp-1'],
    );
    assert.deepEqual(report.unexplained, [], report.unexplained.map((c) => c.title).join('; '));
  });
});

describe('full-size overlay packets lost on the way to one peer only', () => {
  const ok = (command: string) => ({ stdout: fixture('ping-ok.txt'), command });
  const facts = (dfToCp: 'ok' | 'lost') =>
    clusterFactsWithPeer({
      target: {
        ...CP_OVERLAY_ENTRIES,
        'overlay-df-ping:10.244.1.0': PING_LOST,
        'overlay-ping:10.244.0.0': ok("ping -n -c 1 -W 1 '10.244.0.0'"),
        'overlay-df-ping:10.244.0.0':
          dfToCp === 'ok' ? ok("ping -n -M do -s 1422 -c 1 -W 1 '10.244.0.0'") : PING_LOST,
      },
      cp: { [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.0.1/24\n' } },
    });

  it("is that peer's path: mtu-mismatch on the peer, not the target's MTU", () => {
    const report = diagnose(facts('ok'));
    assert.deepEqual(causes(facts('ok')), ['mtu-mismatch@node-1']);
    assert.match(report.rootCauses[0]!.cause, /between node-3 and node-1 .*the path to node-1/);
    assert.deepEqual(report.unexplained, []);
  });

  it("lost to every peer: the target's overlay MTU, as before", () => {
    assert.deepEqual(causes(facts('lost')), ['mtu-mismatch@node-3']);
  });
});

describe('a sweep that sees a peer-side cause from two reports', () => {
  it("keys it once on the peer, with the peer's own report and fingerprint, whichever report came first", () => {
    const overlap = 'FLANNEL_NETWORK=198.18.0.0/15\nFLANNEL_SUBNET=10.244.1.1/24\n';
    const fromNode3 = diagnose(
      clusterFactsWithPeer({
        target: { ...OVERLAY_LOST, 'ping-node:node-1': LOST },
        peer: { [PROBE.subnetEnv]: { stdout: overlap } },
      }),
    );
    const seenOnNode3 = fromNode3.rootCauses[0]!;
    assert.equal(`${seenOnNode3.id}@${seenOnNode3.node}`, 'podcidr-overlaps-host-net@node-1');
    // node-1's own report of the same fault carries its plan (a remedy); the peer's does not.
    const own = {
      ...seenOnNode3,
      remedy: { kind: 'reset-worker', node: 'node-1', controlPlane: 'cp-1' } as never,
    };
    const fromNode1 = { ...fromNode3, node: 'node-1', rootCauses: [own] };
    const owned = new Set(['cp-1', 'node-1', 'node-3']);
    for (const order of [
      [
        { node: 'node-3', report: fromNode3 },
        { node: 'node-1', report: fromNode1 },
      ],
      [
        { node: 'node-1', report: fromNode1 },
        { node: 'node-3', report: fromNode3 },
      ],
    ]) {
      const { seen } = observeSweep(order, [], owned);
      assert.deepEqual([...seen.keys()], ['node-1/podcidr-overlaps-host-net']);
      const problem = seen.get('node-1/podcidr-overlaps-host-net')!;
      assert.match(problem.observation.fingerprint, /reset-worker/);
      assert.deepEqual([...problem.observation.seenVia].sort(), ['node-1', 'node-3']);
    }
  });
});
