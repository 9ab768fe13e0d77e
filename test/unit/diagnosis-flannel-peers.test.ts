import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { KubeNode } from '../../src/kube/kube-facts.js';
import type { ClusterFacts } from '../../src/probes/cluster-facts.js';
import { parseConntrack } from '../../src/probes/parsers/conntrack.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { planFor, rollbackPlanFor } from '../../src/remediation/runbooks.js';
import { clusterFactsWithPeer, fixture, output } from '../support/facts-builder.js';

const LOST = { exitCode: 1, stdout: fixture('ping-timeout.txt') };
const PEER_MAC = '5a:1e:8d:1c:11:01';
const ids = (facts: ClusterFacts) => diagnose(facts).rootCauses.map((c) => `${c.id}@${c.node}`);
const ct = (count: number | string, max: number | string, extra = '') => ({
  stdout: `COUNT ${count}\nMAX ${max}\n${extra}`,
});
const planIds = {
  planId: 'plan-1',
  runId: 'run-1',
  requestedBy: 'U0REQ',
  createdAt: '2026-11-24T03:00:00.000Z',
};
const shellText = (facts: ClusterFacts) => {
  const plan = planFor(diagnose(facts), planIds);
  assert.ok(plan, 'a plan is offered');
  return {
    plan,
    text: plan.steps.map((s) => (s.kind === 'shell' ? `${s.command}\n${s.check}` : '')).join('\n'),
  };
};

const kubeNode = (
  name: string,
  podCIDR: string,
  host: string,
  vtepMac: string,
  publicIp = host,
): KubeNode => ({
  name,
  podCIDR,
  internalIP: host,
  publicIp,
  vtepMac,
  ready: 'True',
  networkUnavailable: undefined,
});
const NODES = {
  cp: () => kubeNode('cp-1', '10.244.0.0/24', '198.18.0.10', '5a:1e:8d:1c:11:00'),
  one: (publicIp?: string) => kubeNode('node-1', '10.244.1.0/24', '198.18.0.11', PEER_MAC, publicIp),
  three: (publicIp?: string) =>
    kubeNode('node-3', '10.244.3.0/24', '198.18.0.13', '8a:2b:02:7a:5e:54', publicIp),
};
const withApi = (facts: ClusterFacts, nodes: KubeNode[]): ClusterFacts => ({
  ...facts,
  kube: { status: 'reachable', nodes, netConfNetwork: '10.244.0.0/16', flannelPods: [], flannelLog: [] },
});
const apiDown = (facts: ClusterFacts): ClusterFacts => ({
  ...facts,
  kube: { status: 'unreachable', error: 'connect ECONNREFUSED 198.18.0.10:6443', cached: undefined },
});

describe('parseConntrack', () => {
  it('reads the counters and the kernel lines; no conntrack module is a fact; garbage is unknown', () => {
    const full = parseConntrack(
      output(
        PROBE.conntrack,
        'n',
        ct(62000, 65536, 'LOG [ 12.3] nf_conntrack: nf_conntrack: table full, dropping packet\n'),
      ),
    );
    assert.deepEqual(full, {
      status: 'ok',
      value: {
        loaded: true,
        count: 62000,
        max: 65536,
        kernelLog: ['[ 12.3] nf_conntrack: nf_conntrack: table full, dropping packet'],
      },
    });
    assert.deepEqual(parseConntrack(output(PROBE.conntrack, 'n', ct('', ''))), {
      status: 'ok',
      value: { loaded: false, count: undefined, max: undefined, kernelLog: [] },
    });
    assert.equal(parseConntrack(output(PROBE.conntrack, 'n', ct('12; rm -rf /', 100))).status, 'unknown');
    assert.equal(parseConntrack(output(PROBE.conntrack, 'n', { stdout: '' })).status, 'unknown');
    assert.equal(
      parseConntrack(output(PROBE.conntrack, 'n', { exitCode: null, timedOut: true })).status,
      'unknown',
    );
  });
});

describe('conntrack-table-full', () => {
  const full = (count: number, max: number, extra = '') =>
    clusterFactsWithPeer({ worker: { [PROBE.conntrack]: ct(count, max, extra) } });

  it('at 90 % or more: named, with the counters and kernel lines, and a plan that doubles and persists the max', () => {
    const facts = full(62000, 65536, 'LOG nf_conntrack: table full, dropping packet\n');
    assert.deepEqual(ids(facts), ['conntrack-table-full@node-3']);
    const report = diagnose(facts);
    assert.deepEqual(report.unexplained, []);
    const lines = report.rootCauses[0]!.evidence.flatMap((e) => e.lines);
    assert.ok(lines.includes('nf_conntrack_count 62000') && lines.includes('nf_conntrack_max 65536'));
    assert.ok(lines.includes('kernel: nf_conntrack: table full, dropping packet'));
    const { plan, text } = shellText(facts);
    assert.deepEqual(plan.remedy, { kind: 'raise-conntrack-max', node: 'node-3', from: 65536, to: 131072 });
    assert.equal(plan.destructive, false);
    assert.match(text, /sysctl -w net\.netfilter\.nf_conntrack_max=131072/);
    assert.match(text, /\/etc\/sysctl\.d\/90-netcheck-conntrack\.conf/);
    assert.match(text, /cat \/proc\/sys\/net\/netfilter\/nf_conntrack_max > \/var\/backups\/netcheck\//);
    assert.match(plan.steps[0]!.title, /up to 20 MiB more kernel memory when full/);
    const rollback = rollbackPlanFor(plan, { planId: 'plan-2', createdAt: planIds.createdAt });
    assert.match(
      rollback.steps[0]!.kind === 'shell' ? rollback.steps[0]!.command : '',
      /rm -f \/etc\/sysctl\.d\/90-netcheck-conntrack\.conf/,
    );
  });

  it('the raise is bounded: at the cap there is a finding but no plan', () => {
    const facts = full(1_000_000, 1_048_576);
    assert.deepEqual(ids(facts), ['conntrack-table-full@node-3']);
    assert.equal(planFor(diagnose(facts), planIds), undefined);
    const near = shellText(full(600_000, 655_360)).plan;
    assert.deepEqual(near.remedy, {
      kind: 'raise-conntrack-max',
      node: 'node-3',
      from: 655_360,
      to: 1_048_576,
    });
  });

  it('below 90 %, or without conntrack, it is not called; an unreadable counter is unknown, never a pass', () => {
    assert.equal(diagnose(full(58000, 65536)).verdict, 'healthy');
    assert.equal(diagnose(full(70000, 0)).verdict, 'healthy', 'nf_conntrack_max 0 means no limit');
    assert.equal(
      diagnose(clusterFactsWithPeer({ worker: { [PROBE.conntrack]: ct('', '') } })).verdict,
      'healthy',
    );
    const garbled = diagnose(clusterFactsWithPeer({ worker: { [PROBE.conntrack]: { stdout: 'nothing' } } }));
    assert.equal(garbled.verdict, 'unknown');
    assert.ok(garbled.unknowns.some((c) => c.id === 'conntrack-room'));
  });
});

describe('peer-route-missing', () => {
  const routesWithout = `[{"dst":"default","gateway":"198.18.0.1","dev":"eth0","flags":[]},{"dst":"198.18.0.0/24","dev":"eth0","flags":[]},{"dst":"10.244.3.0/24","dev":"cni0","flags":[]}]`;

  it('no route, FDB or neighbour entry for node-1: named on the target with each gap, and a Flannel restart that checks them', () => {
    const facts = clusterFactsWithPeer({
      target: {
        [PROBE.routes]: { stdout: routesWithout },
        [PROBE.fdb]: { stdout: '[]' },
        [PROBE.neigh]: { stdout: '[]' },
      },
    });
    assert.deepEqual(ids(facts), ['peer-route-missing@node-3']);
    const report = diagnose(facts);
    assert.deepEqual(report.unexplained, []);
    assert.match(
      report.rootCauses[0]!.cause,
      /node-1 \(10\.244\.1\.0\/24\): no route, FDB entry, neighbour entry/,
    );
    const { plan, text } = shellText(facts);
    assert.equal(plan.remedy.kind, 'restart-flannel-peers');
    assert.match(text, /crictl stop \$ids/);
    assert.match(text, /ip route show exact 10\.244\.1\.0\/24 dev flannel\.1/);
    assert.match(text, /grep -qi '\^5a:1e:8d:1c:11:01 '/);
    assert.ok(plan.steps[1]!.timeoutMs > 10_000, 'the check waits for Flannel to re-add the entries');
  });

  it('only the neighbour missing: the failed overlay pings to node-1 are folded under it, not left unexplained or called a firewall drop', () => {
    const facts = clusterFactsWithPeer({
      target: {
        [PROBE.neigh]: { stdout: '[]' },
        'overlay-ping:10.244.1.0': LOST,
        'overlay-df-ping:10.244.1.0': LOST,
      },
    });
    assert.deepEqual(ids(facts), ['peer-route-missing@node-3']);
    const report = diagnose(facts);
    assert.deepEqual(report.unexplained, []);
    assert.match(report.rootCauses[0]!.cause, /no neighbour entry/);
  });

  it('expected peers come from the API when it answers (a peer the node never heard of is missing too)', () => {
    const facts = withApi(clusterFactsWithPeer(), [NODES.cp(), NODES.one(), NODES.three()]);
    assert.deepEqual(ids(facts), ['peer-route-missing@node-3']);
    assert.match(diagnose(facts).rootCauses[0]!.cause, /cp-1 \(10\.244\.0\.0\/24\)/);
    const healthy = withApi(clusterFactsWithPeer(), [NODES.one(), NODES.three()]);
    assert.equal(diagnose(healthy).verdict, 'healthy');
  });

  it('a hostile VtepMAC in the API (shell text) gives the finding but no plan', () => {
    const bad = { ...NODES.one(), vtepMac: "aa:bb'; reboot; '" };
    const facts = withApi(clusterFactsWithPeer({ target: { [PROBE.fdb]: { stdout: '[]' } } }), [
      bad,
      NODES.three(),
    ]);
    assert.deepEqual(ids(facts), ['peer-route-missing@node-3']);
    assert.equal(planFor(diagnose(facts), planIds), undefined);
  });

  it('not misattributed: a peer whose FDB entry points elsewhere (wrong-iface), a target MAC change that flushed its neighbours, no flannel.1, Flannel not started', () => {
    const repointed = clusterFactsWithPeer({
      target: { [PROBE.fdb]: { stdout: `[{"mac":"${PEER_MAC}","dst":"10.0.2.15"}]` } },
    });
    assert.ok(!ids(repointed).some((i) => i.startsWith('peer-route-missing')), ids(repointed).join());
    const macChanged = clusterFactsWithPeer({
      target: { [PROBE.neigh]: { stdout: '[]' } },
      peer: { [PROBE.fdb]: { stdout: '[{"mac":"7e:00:00:00:00:01","dst":"198.18.0.13"}]' } },
    });
    assert.deepEqual(ids(macChanged), ['vtep-mac-mismatch@node-3']);
    assert.deepEqual(diagnose(macChanged).unexplained, []);
    const noDevice = clusterFactsWithPeer({
      worker: { [PROBE.flannelLink]: { stdout: 'NODEV\n' } },
      target: {
        [PROBE.routes]: { stdout: routesWithout },
        [PROBE.fdb]: { stdout: 'NODEV\n' },
        [PROBE.neigh]: { stdout: 'NODEV\n' },
      },
    });
    assert.ok(!diagnose(noDevice).checks.some((c) => c.id === 'peer-overlay-entries'));
    const notStarted = clusterFactsWithPeer({
      worker: { [PROBE.subnetEnv]: { stdout: 'NOFILE\n' } },
      target: { [PROBE.routes]: { stdout: routesWithout } },
    });
    assert.ok(!ids(notStarted).some((i) => i.startsWith('peer-route-missing')), ids(notStarted).join());
  });
});

describe('public-ip-duplicate', () => {
  it('two nodes announce 10.0.2.15 (API): named on the target, wrong-iface-public-ip folded under it, no plan', () => {
    const facts = withApi(
      clusterFactsWithPeer({
        worker: {
          [PROBE.flannelLink]: {
            stdout: fixture('ip-link-flannel-present.json').replace(
              '"local":"198.18.0.13"',
              '"local":"10.0.2.15"',
            ),
          },
        },
        target: { 'overlay-ping:10.244.1.0': LOST, 'overlay-df-ping:10.244.1.0': LOST },
      }),
      [NODES.one('10.0.2.15'), NODES.three('10.0.2.15')],
    );
    assert.deepEqual(ids(facts), ['public-ip-duplicate@node-3']);
    const report = diagnose(facts);
    assert.deepEqual(report.unexplained, []);
    assert.deepEqual(
      report.rootCauses[0]!.folded.map((f) => f.id),
      ['wrong-iface-public-ip'],
    );
    assert.match(report.rootCauses[0]!.cause, /node-1 → 198\.18\.0\.11, node-3 → 198\.18\.0\.13/);
    assert.equal(planFor(report, planIds), undefined);
  });

  it('seen from a node that is not one of them: attributed to the first of them', () => {
    const facts = withApi(clusterFactsWithPeer(), [
      kubeNode('cp-1', '10.244.0.0/24', '198.18.0.10', '5a:1e:8d:1c:11:00', '10.0.2.15'),
      NODES.one('10.0.2.15'),
      NODES.three(),
    ]);
    assert.ok(ids(facts).includes('public-ip-duplicate@cp-1'), ids(facts).join());
  });

  it('with the API down: found from an FDB with two VTEP MACs behind one address', () => {
    const facts = apiDown(
      clusterFactsWithPeer({
        target: {
          [PROBE.fdb]: {
            stdout: `[{"mac":"${PEER_MAC}","dst":"10.0.2.15"},{"mac":"5a:1e:8d:1c:11:00","dst":"10.0.2.15"}]`,
          },
        },
      }),
    );
    assert.deepEqual(ids(facts), ['public-ip-duplicate@node-1']);
  });

  it('one node on a wrong address alone is wrong-iface-public-ip, not a duplicate; healthy is healthy', () => {
    const facts = withApi(
      clusterFactsWithPeer({
        worker: {
          [PROBE.flannelLink]: {
            stdout: fixture('ip-link-flannel-present.json').replace(
              '"local":"198.18.0.13"',
              '"local":"10.0.2.15"',
            ),
          },
        },
      }),
      [NODES.one(), NODES.three('10.0.2.15')],
    );
    assert.deepEqual(ids(facts), ['wrong-iface-public-ip@node-3']);
    assert.equal(diagnose(withApi(clusterFactsWithPeer(), [NODES.one(), NODES.three()])).verdict, 'healthy');
    assert.equal(diagnose(apiDown(clusterFactsWithPeer())).verdict, 'healthy');
  });
});
