import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { clusterFactsWithPeer, filterRules, fixture } from '../support/facts-builder.js';

const LOST = { exitCode: 1, stdout: fixture('ping-timeout.txt') };
const ids = (facts: Parameters<typeof diagnose>[0]) =>
  diagnose(facts).rootCauses.map((c) => `${c.id}@${c.node}`);

describe('diagnose: overlay and node configuration', () => {
  it('the three-node healthy fixture is `healthy` (no false positives)', () => {
    const report = diagnose(clusterFactsWithPeer());
    assert.equal(
      report.verdict,
      'healthy',
      JSON.stringify(
        report.checks.filter((c) => c.status !== 'pass'),
        null,
        1,
      ),
    );
  });

  it('vxlan-8472-blocked: overlay ping fails, underlay works, the peer drops 8472/udp → attributed to the peer', () => {
    const facts = clusterFactsWithPeer({
      target: { 'overlay-ping:10.244.1.0': LOST, 'overlay-df-ping:10.244.1.0': LOST },
      peer: { [PROBE.iptables]: { stdout: filterRules('-A INPUT -p udp -m udp --dport 8472 -j DROP') } },
    });
    assert.deepEqual(ids(facts), ['vxlan-8472-blocked@node-1']);
    assert.deepEqual(diagnose(facts).unexplained, []);
  });

  it('vxlan-8472-blocked does not fire when the underlay is down too', () => {
    const facts = clusterFactsWithPeer({
      target: { 'overlay-ping:10.244.1.0': LOST, 'ping-node:node-1': LOST },
    });
    assert.ok(!ids(facts).some((i) => i.startsWith('vxlan')));
  });

  it('mtu-mismatch: flannel.1 MTU larger than uplink − 50, full-size DF ping fails, small ping works', () => {
    const facts = clusterFactsWithPeer({
      target: {
        'overlay-df-ping:10.244.1.0': {
          exitCode: 1,
          stdout: 'ping: local error: message too long, mtu=1400\n',
        },
      },
      worker: {
        [PROBE.addresses]: {
          stdout: fixture('ip-addr.json').replace(/"ifname":"eth0","flags":\[[^\]]*\],"mtu":1500/, (m) =>
            m.replace('1500', '1450'),
          ),
        },
      },
    });
    assert.deepEqual(ids(facts), ['mtu-mismatch@node-3']);
  });

  it('wrong-iface-public-ip: flannel.1 local is not the node address', () => {
    const facts = clusterFactsWithPeer({
      worker: {
        [PROBE.flannelLink]: {
          stdout: fixture('ip-link-flannel-present.json').replace(
            '"local":"198.18.0.13"',
            '"local":"10.0.2.15"',
          ),
        },
      },
    });
    assert.deepEqual(ids(facts), ['wrong-iface-public-ip@node-3']);
  });

  it("vtep-mac-mismatch seen from node-3: node-1's MAC changed, node-3's FDB holds the old one → attributed to node-1", () => {
    const facts = clusterFactsWithPeer({
      target: { 'overlay-ping:10.244.1.0': LOST, 'overlay-df-ping:10.244.1.0': LOST },
      peer: {
        [PROBE.flannelLink]: {
          stdout: fixture('ip-link-flannel-present.json')
            .replace('"8a:2b:02:7a:5e:54"', '"7e:00:00:00:00:99"')
            .replace('"198.18.0.13"', '"198.18.0.11"'),
        },
      },
    });
    assert.deepEqual(ids(facts), ['vtep-mac-mismatch@node-1']);
  });

  it('vtep-mac-mismatch on the target itself: its peers hold another MAC for it', () => {
    const facts = clusterFactsWithPeer({
      peer: { [PROBE.fdb]: { stdout: '[{"mac":"7e:00:00:00:00:01","dst":"198.18.0.13"}]' } },
    });
    assert.deepEqual(ids(facts), ['vtep-mac-mismatch@node-3']);
  });

  it('ip-forward-disabled and br-netfilter-missing come from the sysctls; two faults are both reported', () => {
    const facts = clusterFactsWithPeer({
      worker: {
        [PROBE.sysctls]: {
          stdout:
            'net.ipv4.ip_forward=0\nnet.bridge.bridge-nf-call-iptables=sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory\n',
        },
      },
    });
    assert.deepEqual(
      new Set(ids(facts)),
      new Set(['ip-forward-disabled@node-3', 'br-netfilter-missing@node-3']),
    );
  });

  it('forward-policy-drop: policy DROP with no FLANNEL-FWD jump; not when the jump is there', () => {
    const drop = clusterFactsWithPeer({
      worker: { [PROBE.iptables]: { stdout: filterRules().replace(':FORWARD ACCEPT', ':FORWARD DROP') } },
    });
    assert.deepEqual(ids(drop), ['forward-policy-drop@node-3']);
    const fine = clusterFactsWithPeer({
      worker: {
        [PROBE.iptables]: {
          stdout: filterRules('-A FORWARD -j FLANNEL-FWD').replace(':FORWARD ACCEPT', ':FORWARD DROP'),
        },
      },
    });
    assert.deepEqual(ids(fine), []);
  });

  it('kube-proxy-missing: no -d 10.96.0.1/32 in nat', () => {
    const facts = clusterFactsWithPeer({
      worker: {
        [PROBE.iptables]: {
          stdout: '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n',
        },
      },
    });
    assert.deepEqual(ids(facts), ['kube-proxy-missing@node-3']);
  });

  it('leftover-cni-config: a foreign config sorts first; stale-cni0-bridge: cni0 outside FLANNEL_SUBNET', () => {
    assert.deepEqual(
      ids(
        clusterFactsWithPeer({
          worker: {
            [PROBE.cniConfig]: { stdout: 'DIR /etc/cni/net.d\n10-calico.conflist\n10-flannel.conflist\n' },
          },
        }),
      ),
      ['leftover-cni-config@node-3'],
    );
    assert.deepEqual(
      ids(
        clusterFactsWithPeer({
          worker: {
            [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\n' },
          },
        }),
      ),
      ['stale-cni0-bridge@node-3'],
    );
  });

  it('podcidr-not-assigned from the Flannel log on disk explains the missing subnet.env and flannel.1', () => {
    const facts = clusterFactsWithPeer({
      worker: {
        [PROBE.flannelLog]: {
          stdout:
            '2026-11-24T03:00:00Z stderr F E1124 main.go:332] Error registering network: failed to acquire lease: node "node-3" pod cidr not assigned\n',
        },
        [PROBE.subnetEnv]: { stdout: 'NOFILE\n' },
        [PROBE.flannelLink]: { stdout: 'NODEV\n' },
      },
    });
    const report = diagnose(facts);
    assert.deepEqual(
      report.rootCauses.map((c) => c.id),
      ['podcidr-not-assigned'],
    );
    assert.deepEqual(
      new Set(report.rootCauses[0]?.folded.map((f) => f.id)),
      new Set(['subnet-env-missing', 'flannel1-missing']),
    );
  });

  it('podcidr-netconf-mismatch: the node subnet is outside Flannel’s network', () => {
    const facts = clusterFactsWithPeer({
      worker: {
        [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.245.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\n' },
      },
    });
    assert.ok(ids(facts).includes('podcidr-netconf-mismatch@node-3'));
  });

  it('Kubernetes facts: podCIDR from the API; an unreachable API is a note, not a crash', () => {
    const base = clusterFactsWithPeer();
    const kubeNode = {
      name: 'node-3',
      podCIDR: undefined,
      internalIP: '198.18.0.13',
      publicIp: '198.18.0.13',
      vtepMac: '8a:2b:02:7a:5e:54',
      ready: 'False',
      networkUnavailable: undefined,
    };
    const facts = {
      ...base,
      kube: {
        status: 'reachable' as const,
        nodes: [kubeNode],
        netConfNetwork: '10.244.0.0/16',
        flannelPods: [],
        flannelLog: [],
      },
    };
    assert.deepEqual(ids(facts), ['podcidr-not-assigned@node-3']);
  });
});

describe('diagnose: Kubernetes API unreachable', () => {
  it('says so in the report and uses the last known node list', () => {
    const base = clusterFactsWithPeer();
    const cachedNode = {
      name: 'node-3',
      podCIDR: '10.244.3.0/24',
      internalIP: '198.18.0.13',
      publicIp: '198.18.0.13',
      vtepMac: '8a:2b:02:7a:5e:54',
      ready: 'True',
      networkUnavailable: undefined,
    };
    const facts = {
      ...base,
      kube: {
        status: 'unreachable' as const,
        error: 'connect ECONNREFUSED 198.18.0.10:6443',
        cached: { nodes: [cachedNode], fetchedAt: '2026-11-24T02:55:00Z' },
      },
    };
    const report = diagnose(facts);
    assert.equal(report.verdict, 'healthy');
    assert.ok(report.notes.some((n) => n.includes('last node list seen at 2026-11-24T02:55:00Z')));
    assert.ok(report.checks.some((c) => c.id === 'podcidr-assigned' && c.status === 'pass'));
    const none = diagnose({
      ...base,
      kube: { status: 'unreachable' as const, error: 'timeout', cached: undefined },
    });
    assert.ok(none.notes.some((n) => n.includes('no earlier node list is known')));
  });
});

/** Both backends' save output with `n` KUBE-/FLANNEL- rules each (and a rule of the admin's, not counted). */
function backendDumps(n: { legacy: number; nft: number }) {
  const save = (count: number) => ({
    stdout: [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':KUBE-FORWARD - [0:0]',
      ':FLANNEL-FWD - [0:0]',
      '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT',
      ...Array.from({ length: count }, (_, i) =>
        i % 2
          ? `-A FLANNEL-FWD -s 10.244.${i}.0/24 -j ACCEPT`
          : `-A KUBE-FORWARD -m mark --mark ${i} -j ACCEPT`,
      ),
      'COMMIT',
      '',
    ].join('\n'),
  });
  return { [PROBE.iptablesLegacySave]: save(n.legacy), [PROBE.iptablesNftSave]: save(n.nft) };
}

describe('diagnose: iptables backends and peer TCP', () => {
  it('iptables-backend-mismatch when KUBE-/FLANNEL- rules live in both backends; not when one is empty', () => {
    const split = clusterFactsWithPeer({
      worker: backendDumps({ legacy: 12, nft: 40 }),
    });
    assert.deepEqual(ids(split), ['iptables-backend-mismatch@node-3']);
    const one = clusterFactsWithPeer({
      worker: backendDumps({ legacy: 0, nft: 40 }),
    });
    assert.deepEqual(ids(one), []);
  });

  it('TCP to a peer: refused proves the path; a timeout is an unexplained failure unless netcheck cannot reach the peer either', () => {
    const refusedOnly = {
      exitCode: 7,
      stderr:
        "curl: (7) Failed to connect to 198.18.0.11 port 10250 after 0 ms: Couldn't connect to server\n",
    };
    assert.equal(
      diagnose(clusterFactsWithPeer({ target: { 'tcp-node:node-1': refusedOnly } })).verdict,
      'healthy',
    );
    const refused = {
      exitCode: 28,
      stderr: 'curl: (28) Failed to connect to 198.18.0.11 port 10250 after 2002 ms: Timeout was reached\n',
    };
    const report = diagnose(clusterFactsWithPeer({ target: { 'tcp-node:node-1': refused } }));
    assert.equal(report.verdict, 'faulty');
    assert.equal(report.unexplained[0]?.id, 'underlay-tcp:node-1');
    const base = clusterFactsWithPeer({ target: { 'tcp-node:node-1': refused } });
    const down = {
      ...base,
      nodes: {
        ...base.nodes,
        'node-1': {
          ...base.nodes['node-1']!,
          connection: { ok: false as const, code: 'node-unreachable' as const, detail: 'ECONNREFUSED' },
          outputs: {},
        },
      },
    };
    const r2 = diagnose(down);
    assert.deepEqual(
      r2.rootCauses.map((c) => `${c.id}@${c.node}`),
      ['node-unreachable@node-1'],
    );
    assert.deepEqual(r2.unexplained, []);
  });
});
