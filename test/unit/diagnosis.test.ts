import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { clusterFacts, fixture } from '../support/facts-builder.js';

const PING_LOST = { exitCode: 1, stdout: fixture('ping-timeout.txt') };
const CURL_TIMEOUT = {
  exitCode: 28,
  stdout: '000',
  stderr: 'curl: (28) Failed to connect to 198.18.0.10 port 6443 after 2002 ms: Timeout was reached\n',
};
const CURL_REFUSED = {
  exitCode: 7,
  stdout: '000',
  stderr: "curl: (7) Failed to connect to 198.18.0.10 port 6443 after 0 ms: Couldn't connect to server\n",
};

const KUBE_NAT =
  '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y\nCOMMIT\n';

function iptablesWith(...rules: string[]): { stdout: string } {
  return {
    stdout: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n${KUBE_NAT}`,
  };
}

const ids = (report: ReturnType<typeof diagnose>) => report.rootCauses.map((c) => c.id);

describe('diagnose', () => {
  it('reports `healthy` only when every check passed', () => {
    const report = diagnose(clusterFacts());
    assert.equal(report.verdict, 'healthy');
    assert.deepEqual(ids(report), []);
    assert.match(report.headline, /`healthy`/);
    assert.ok(report.checks.every((c) => c.status === 'pass'));
  });

  it('never calls a node healthy when a check could not run', () => {
    const report = diagnose(
      clusterFacts({
        worker: {
          [PROBE.iptables]: { exitCode: 127, stdout: '', stderr: 'sh: 1: iptables-save: not found' },
        },
      }),
    );
    assert.equal(report.verdict, 'unknown');
    assert.doesNotMatch(report.headline, /healthy`/);
    assert.equal(report.unknowns[0]?.id, 'iptables-readable');
  });

  describe('icmp-blocked', () => {
    it('matches: ping fails, TCP works, DROP rule for icmp on the control plane', () => {
      const report = diagnose(
        clusterFacts({
          worker: { [PROBE.pingControlPlane]: PING_LOST },
          cp: { [PROBE.iptables]: iptablesWith('-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP') },
        }),
      );
      assert.deepEqual(ids(report), ['icmp-blocked']);
      const cause = report.rootCauses[0]!;
      assert.equal(cause.node, 'cp-1');
      assert.equal(cause.confidence, 'high');
      assert.ok(
        cause.evidence.some(
          (e) => e.node === 'cp-1' && e.lines.includes('-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP'),
        ),
      );
      assert.deepEqual(report.unexplained, []);
    });

    it('matches a rule on the worker OUTPUT chain and attributes it to the worker', () => {
      const report = diagnose(
        clusterFacts({
          worker: {
            [PROBE.pingControlPlane]: PING_LOST,
            [PROBE.iptables]: iptablesWith('-A OUTPUT -p icmp -j REJECT --reject-with icmp-port-unreachable'),
          },
        }),
      );
      assert.deepEqual(ids(report), ['icmp-blocked']);
      assert.equal(report.rootCauses[0]?.node, 'node-3');
    });

    it('does not match when ping works, or when the icmp rule only covers another source', () => {
      assert.deepEqual(
        ids(diagnose(clusterFacts({ cp: { [PROBE.iptables]: iptablesWith('-A INPUT -p icmp -j DROP') } }))),
        [],
      );
      const report = diagnose(
        clusterFacts({
          worker: { [PROBE.pingControlPlane]: PING_LOST, [PROBE.httpsApiServer]: CURL_TIMEOUT },
          cp: { [PROBE.iptables]: iptablesWith('-A INPUT -s 203.0.113.0/24 -p icmp -j DROP') },
        }),
      );
      assert.ok(!ids(report).includes('icmp-blocked'));
      assert.equal(report.verdict, 'faulty');
    });
  });

  describe('apiserver-port-blocked', () => {
    it('matches: TCP 6443 times out, a DROP on --dport 6443 on the control plane, ping works', () => {
      const report = diagnose(
        clusterFacts({
          worker: { [PROBE.httpsApiServer]: CURL_TIMEOUT },
          cp: { [PROBE.iptables]: iptablesWith('-A INPUT -p tcp -m tcp --dport 6443 -j DROP') },
        }),
      );
      assert.deepEqual(ids(report), ['apiserver-port-blocked']);
      assert.equal(report.rootCauses[0]?.node, 'cp-1');
      assert.equal(report.rootCauses[0]?.explainedChecks.length, 2);
    });

    it('matches a multiport range on the worker OUTPUT chain', () => {
      const report = diagnose(
        clusterFacts({
          worker: {
            [PROBE.httpsApiServer]: CURL_REFUSED,
            [PROBE.iptables]: iptablesWith(
              '-A OUTPUT -p tcp -m multiport --dports 443,6000:7000 -j REJECT --reject-with tcp-reset',
            ),
          },
        }),
      );
      assert.deepEqual(ids(report), ['apiserver-port-blocked']);
      assert.equal(report.rootCauses[0]?.node, 'node-3');
    });

    it('does not match a rule for another port', () => {
      const report = diagnose(
        clusterFacts({
          worker: { [PROBE.httpsApiServer]: CURL_REFUSED },
          cp: { [PROBE.iptables]: iptablesWith('-A INPUT -p tcp --dport 10250 -j DROP') },
        }),
      );
      assert.ok(!ids(report).includes('apiserver-port-blocked'));
      assert.equal(report.unexplained.length, 2, 'the failed TCP/HTTPS checks are shown as unexplained');
    });
  });

  it('apiserver-down: nothing listens on 6443 and connections are refused', () => {
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.httpsApiServer]: CURL_REFUSED },
        cp: { [PROBE.listening]: { stdout: 'LISTEN 0 4096 0.0.0.0:22 0.0.0.0:*\n' } },
      }),
    );
    assert.deepEqual(ids(report), ['apiserver-down']);
    assert.equal(report.rootCauses[0]?.node, 'cp-1');
  });

  describe('podcidr-overlaps-host-net', () => {
    it('matches when the route to the control plane leaves via flannel.1, and folds the failures it explains', () => {
      const report = diagnose(
        clusterFacts({
          worker: {
            [PROBE.routeControlPlane]: { stdout: fixture('ip-route-get-flannel.json') },
            [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=198.18.0.0/16\nFLANNEL_SUBNET=198.18.3.1/24\n' },
            [PROBE.pingControlPlane]: PING_LOST,
            [PROBE.httpsApiServer]: CURL_TIMEOUT,
          },
        }),
      );
      assert.equal(ids(report)[0], 'podcidr-overlaps-host-net');
      assert.deepEqual(report.unexplained, []);
      const cause = report.rootCauses[0]!;
      assert.ok(cause.explainedChecks.some((c) => c.id === 'ping-control-plane'));
      assert.ok(cause.evidence.some((e) => e.lines.some((l) => l.includes('198.18.0.0/16'))));
    });

    it('does not match a healthy route and a disjoint pod network', () => {
      assert.ok(!ids(diagnose(clusterFacts())).includes('podcidr-overlaps-host-net'));
    });
  });

  it('flannel1-missing, subnet-env-missing and cni-config-missing, reported together', () => {
    const report = diagnose(
      clusterFacts({
        worker: {
          [PROBE.flannelLink]: { stdout: 'NODEV\n' },
          [PROBE.cniConfig]: { stdout: 'DIR /etc/cni/net.d\n' },
          [PROBE.subnetEnv]: { stdout: 'NOFILE\n' },
        },
      }),
    );
    assert.deepEqual(
      new Set(ids(report)),
      new Set(['flannel1-missing', 'subnet-env-missing', 'cni-config-missing']),
    );
  });

  it('a foreign CNI file alone is not cni-config-missing when the flannel conflist is there', () => {
    const report = diagnose(
      clusterFacts({
        worker: {
          [PROBE.cniConfig]: { stdout: 'DIR /etc/cni/net.d\n10-calico.conflist\n10-flannel.conflist\n' },
        },
      }),
    );
    assert.ok(!ids(report).includes('cni-config-missing'));
  });

  it('node-unreachable and host-key-mismatch come from the SSH connection', () => {
    const unreachable = diagnose(
      clusterFacts({
        workerConnection: {
          ok: false,
          code: 'node-unreachable',
          detail: 'connect ECONNREFUSED 198.18.0.13:22',
        },
      }),
    );
    assert.deepEqual(ids(unreachable), ['node-unreachable']);
    assert.equal(unreachable.verdict, 'faulty');
    const mismatch = diagnose(
      clusterFacts({
        workerConnection: { ok: false, code: 'host-key-mismatch', detail: 'SHA256:abc is not pinned' },
      }),
    );
    assert.deepEqual(ids(mismatch), ['host-key-mismatch']);
  });

  it('a control plane it cannot reach is attributed to the control plane and noted', () => {
    const report = diagnose(
      clusterFacts({ cpConnection: { ok: false, code: 'node-unreachable', detail: 'timed out' } }),
    );
    assert.deepEqual(ids(report), ['node-unreachable']);
    assert.equal(report.rootCauses[0]?.node, 'cp-1');
    assert.equal(report.notes.length, 1);
  });

  it('is pure: the same facts give the same report', () => {
    const facts = clusterFacts({ worker: { [PROBE.pingControlPlane]: PING_LOST } });
    assert.deepEqual(diagnose(facts), diagnose(facts));
  });
});
