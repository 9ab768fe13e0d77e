import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePreflight } from '../../src/diagnosis/evaluate-preflight.js';
import { clockRow } from '../../src/diagnosis/preflight-prerequisites.js';
import type { PreflightResult, PreflightRow } from '../../src/diagnosis/preflight-result.js';
import type { NodeFacts } from '../../src/probes/cluster-facts.js';
import type { PreflightFacts } from '../../src/probes/collect-preflight.js';
import { preflightLine, renderPreflight } from '../../src/slack/blocks/preflight-blocks.js';
import { output } from '../support/facts-builder.js';

/** Outputs as the lab's nodes printed them (ip -j trimmed to the fields that matter). */
const HOSTS: Record<string, string> = {
  'cp-1': '198.18.9.10',
  'node-1': '198.18.9.11',
  'node-4': '198.18.9.14',
};
const MACS: Record<string, string> = {
  'cp-1': '6a:1f:00:00:00:10',
  'node-1': '6a:1f:00:00:00:11',
  'node-4': '6a:1f:00:00:00:14',
};

function addrJson(node: string, extra: object[] = []): string {
  return JSON.stringify([
    {
      ifindex: 1,
      ifname: 'lo',
      address: '00:00:00:00:00:00',
      addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }],
    },
    {
      ifindex: 2,
      ifname: 'eth0',
      address: MACS[node],
      addr_info: [{ family: 'inet', local: HOSTS[node], prefixlen: 24 }],
    },
    ...extra,
  ]);
}

type Outputs = Record<string, Partial<Parameters<typeof output>[2]>>;

function nodeFacts(name: string, outputs: Outputs): NodeFacts {
  return {
    name,
    role: name === 'cp-1' ? 'control-plane' : 'worker',
    host: HOSTS[name]!,
    connection: { ok: true, durationMs: 3 },
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, output(k, name, o)])),
  };
}

const others = ['cp-1', 'node-1'];
const NOW = 1_795_000_000_000;

function candidateOutputs(): Outputs {
  const udp = `udp-listening\n${others.map((p) => `udp-from ${HOSTS[p]} ok`).join('\n')}\n`;
  return {
    hostname: { stdout: 'node-4\n' },
    'product-uuid': { stdout: 'NOFILE\n' },
    addresses: { stdout: addrJson('node-4') },
    swaps: { stdout: 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' },
    'kubelet-conf': { stdout: 'ABSENT\n' },
    routes: {
      stdout: JSON.stringify([
        { dst: 'default', gateway: '198.18.9.254', dev: 'eth0', flags: [] },
        { dst: '198.18.9.0/24', dev: 'eth0', flags: [] },
      ]),
    },
    sysctls: { stdout: 'net.ipv4.ip_forward=1\nnet.bridge.bridge-nf-call-iptables=1\n' },
    'cni-config': { stdout: 'NODIR /etc/cni/net.d\n' },
    'tcp-apiserver': { stdout: 'tcp-connect ok\n' },
    ...Object.fromEntries(
      others.flatMap((p) => [
        [`ping:${p}`, { stdout: `PING ${HOSTS[p]}\n1 packets transmitted, 1 received, 0% packet loss\n` }],
        [`tcp-10250:${p}`, { stdout: 'tcp-connect ECONNREFUSED\n', exitCode: 1 }],
      ]),
    ),
    'udp-8472': { stdout: udp },
  };
}

function peerOutputs(name: string): Outputs {
  return {
    hostname: { stdout: `${name}\n` },
    'product-uuid': { stdout: 'NOFILE\n' },
    addresses: { stdout: addrJson(name) },
    'ping:node-4': { stdout: 'PING 198.18.9.14\n1 packets transmitted, 1 received, 0% packet loss\n' },
    'tcp-10250:node-4': { stdout: 'tcp-connect ECONNREFUSED\n', exitCode: 1 },
    'udp-8472': { stdout: `udp-listening\nudp-from ${HOSTS['node-4']} ok\n` },
  };
}

function facts(
  change: (o: { candidate: Outputs; peers: Record<string, Outputs> }) => void = () => {},
  clockNs = `${NOW}000000`,
): PreflightFacts {
  const candidate = candidateOutputs();
  const peers = Object.fromEntries(others.map((p) => [p, peerOutputs(p)]));
  change({ candidate, peers });
  return {
    candidate: 'node-4',
    controlPlane: 'cp-1',
    podNetworkCidr: '10.244.0.0/16',
    apiServer: { url: 'https://198.18.9.10:6443', host: '198.18.9.10', port: 6443 },
    inventory: ['cp-1', 'node-1', 'node-4'].map((n) => ({
      name: n,
      host: HOSTS[n]!,
      role: n === 'cp-1' ? 'control-plane' : 'worker',
    })),
    nodes: {
      'node-4': nodeFacts('node-4', candidate),
      ...Object.fromEntries(others.map((p) => [p, nodeFacts(p, peers[p]!)])),
    },
    clock: {
      sentAtMs: NOW - 2,
      receivedAtMs: NOW + 2,
      output: output('clock', 'node-4', { stdout: `${clockNs}\n` }),
    },
    kube: { status: 'disabled' },
    collectedAt: '2026-11-25T17:00:00.000Z',
    durationMs: 3100,
  };
}

const byCheck = (r: PreflightResult, check: string, subject?: string): PreflightRow[] =>
  r.rows.filter((x) => x.check === check && (subject === undefined || x.subject === subject));
const failedIds = (r: PreflightResult) =>
  r.rows.filter((x) => x.status === 'fail').map((x) => x.catalogId ?? x.check);

describe('preflight evaluation on recorded facts', () => {
  it('a clean candidate passes everything but product_uuid, which is unknown without DMI data', () => {
    const r = evaluatePreflight(facts());
    assert.deepEqual(failedIds(r), []);
    assert.deepEqual(
      r.rows.filter((x) => x.status === 'unknown').map((x) => x.check),
      ['product-uuid-unique'],
    );
    assert.equal(r.verdict, 'incomplete');
    assert.equal(byCheck(r, 'udp-8472').length, 4, 'both ways with each of two peers');
    assert.match(r.headline, /no blocker found for node-4/);
  });

  it('ip_forward 0 and br_netfilter not loaded map to their catalog ids', () => {
    const r = evaluatePreflight(
      facts(({ candidate }) => {
        candidate.sysctls = { stdout: 'net.ipv4.ip_forward=0\nnet.bridge.bridge-nf-call-iptables=\n' };
      }),
    );
    assert.deepEqual(failedIds(r), ['br-netfilter-missing', 'br-netfilter-missing', 'ip-forward-disabled']);
    assert.equal(r.verdict, 'not-ready');
    assert.match(byCheck(r, 'br-netfilter-loaded')[0]!.detail, /not loaded/);
  });

  it('swap, a foreign CNI config, an overlapping node network, no default route, a leftover kubelet.conf', () => {
    const r = evaluatePreflight(
      facts(({ candidate }) => {
        candidate.swaps = { stdout: 'Filename\tType\tSize\tUsed\tPriority\n/swap.img file 2097148 0 -2\n' };
        candidate['cni-config'] = { stdout: 'DIR /etc/cni/net.d\n10-calico.conflist\n10-flannel.conflist\n' };
        candidate.addresses = {
          stdout: addrJson('node-4', [
            {
              ifname: 'eth1',
              address: '02:00:00:00:00:01',
              addr_info: [{ family: 'inet', local: '10.244.7.3', prefixlen: 16 }],
            },
            {
              ifname: 'cni0',
              address: '02:00:00:00:00:02',
              addr_info: [{ family: 'inet', local: '10.244.4.1', prefixlen: 24 }],
            },
          ]),
        };
        candidate.routes = { stdout: JSON.stringify([{ dst: '198.18.9.0/24', dev: 'eth0' }]) };
        candidate['kubelet-conf'] = { stdout: 'PRESENT\n' };
      }),
    );
    assert.deepEqual(failedIds(r), [
      'swap-off',
      'leftover-cni-config',
      'podcidr-overlaps-host-net',
      'no-default-route',
      'no-earlier-join',
    ]);
    const overlap = byCheck(r, 'node-net-outside-pod-net')[0]!;
    assert.match(overlap.detail, /eth1 10\.244\.0\.0\/16/);
    assert.doesNotMatch(overlap.detail, /cni0/, 'a CNI bridge address is not the node network');
  });

  it('a duplicate hostname, MAC or product_uuid names the node it clashes with', () => {
    const r = evaluatePreflight(
      facts(({ candidate, peers }) => {
        candidate.hostname = { stdout: 'node-1\n' };
        candidate['product-uuid'] = { stdout: '4C4C4544-0042-3510-8052-B4C04F4D4B31\n' };
        peers['cp-1']!['product-uuid'] = { stdout: '4c4c4544-0042-3510-8052-b4c04f4d4b31\n' };
        peers['cp-1']!.addresses = { stdout: addrJson('cp-1').replace(MACS['cp-1']!, MACS['node-4']!) };
      }),
    );
    assert.deepEqual(failedIds(r), ['hostname-unique', 'mac-unique', 'product-uuid-unique']);
    assert.match(byCheck(r, 'hostname-unique')[0]!.detail, /also on node-1/);
    assert.match(byCheck(r, 'mac-unique')[0]!.detail, /also on cp-1/);
    assert.match(byCheck(r, 'product-uuid-unique')[0]!.detail, /also on cp-1/);
  });

  it('paths: a dropped ping, a timed-out kubelet port, a rejected 6443 and UDP 8472 not received, each one way', () => {
    const r = evaluatePreflight(
      facts(({ candidate, peers }) => {
        candidate['ping:cp-1'] = {
          stdout: 'PING 198.18.9.10\n1 packets transmitted, 0 received, 100% packet loss\n',
          exitCode: 1,
        };
        peers['node-1']!['tcp-10250:node-4'] = { stdout: 'tcp-connect ETIMEDOUT\n', exitCode: 1 };
        candidate['tcp-apiserver'] = { stdout: 'tcp-connect ECONNREFUSED\n', exitCode: 1 };
        peers['node-1']!['udp-8472'] = { stdout: `udp-listening\nudp-from ${HOSTS['node-4']} none\n` };
      }),
    );
    const failed = r.rows
      .filter((x) => x.status === 'fail')
      .map((x) => `${x.catalogId ?? x.check} ${x.subject}`);
    assert.deepEqual(failed, [
      'apiserver-port-blocked node-4 → API server 198.18.9.10:6443',
      'icmp-blocked node-4 → cp-1',
      'tcp-10250 node-1 → node-4',
      'vxlan-8472-blocked node-4 → node-1',
    ]);
    assert.equal(byCheck(r, 'udp-8472', 'node-1 → node-4')[0]!.status, 'pass');
  });

  it('a UDP receiver that could not listen, or a peer SSH could not reach, is unknown, never a pass', () => {
    const r = evaluatePreflight(
      facts(({ peers }) => {
        peers['cp-1']!['udp-8472'] = { stdout: 'udp-nosocket EPERM\n', exitCode: 2 };
      }),
    );
    const row = byCheck(r, 'udp-8472', 'node-4 → cp-1')[0]!;
    assert.equal(row.status, 'unknown');
    assert.match(row.detail, /could not listen \(nosocket EPERM\)/);
    const f = facts();
    const down = {
      ...f,
      nodes: {
        ...f.nodes,
        'node-1': {
          ...f.nodes['node-1']!,
          connection: { ok: false as const, code: 'node-unreachable' as const, detail: 'connect timed out' },
          outputs: {},
        },
      },
    };
    const r2 = evaluatePreflight(down);
    // What node-1 would have measured or received is unknown; what node-4 measured towards it stands.
    assert.ok(r2.rows.filter((x) => x.subject === 'node-1 → node-4').every((x) => x.status === 'unknown'));
    assert.equal(byCheck(r2, 'udp-8472', 'node-4 → node-1')[0]!.status, 'unknown');
    assert.equal(byCheck(r2, 'icmp', 'node-4 → node-1')[0]!.status, 'pass');
    assert.equal(byCheck(r2, 'hostname-unique')[0]!.status, 'unknown');
  });

  it('the candidate unreachable over SSH: one failing row with its catalog id', () => {
    const f = facts();
    const r = evaluatePreflight({
      ...f,
      nodes: {
        ...f.nodes,
        'node-4': {
          ...f.nodes['node-4']!,
          connection: { ok: false, code: 'host-key-mismatch', detail: 'changed' },
          outputs: {},
        },
      },
    });
    assert.deepEqual(failedIds(r), ['host-key-mismatch']);
  });

  it('clock: within 1 s passes, 5 s off fails, a slow round trip that hides it is unknown, hostile output is unknown', () => {
    assert.equal(evaluatePreflight(facts()).rows.find((x) => x.check === 'clock-in-sync')!.status, 'pass');
    const ahead = evaluatePreflight(facts(undefined, `${NOW + 5000}000000`)).rows.find(
      (x) => x.check === 'clock-in-sync',
    )!;
    assert.equal(ahead.status, 'fail');
    assert.match(ahead.detail, /\+5000 ms ± 2 ms/);
    const slow = clockRow({
      sentAtMs: NOW - 900,
      receivedAtMs: NOW + 900,
      output: output('clock', 'n', { stdout: `${NOW + 500}000000` }),
    });
    assert.equal(slow.status, 'unknown');
    for (const hostile of ['1e30', '-5', '17000000000000000000000', 'now; rm -rf /', ''])
      assert.equal(
        clockRow({ sentAtMs: NOW, receivedAtMs: NOW, output: output('clock', 'n', { stdout: hostile }) })
          .status,
        'unknown',
        hostile,
      );
  });

  it('hostile node output never passes a check: a hostname with markup, non-JSON addresses', () => {
    const r = evaluatePreflight(
      facts(({ candidate }) => {
        candidate.hostname = { stdout: '<!channel> *x*\n' };
        candidate.addresses = { stdout: '{not json' };
      }),
    );
    assert.equal(byCheck(r, 'hostname-unique')[0]!.status, 'unknown');
    assert.equal(byCheck(r, 'mac-unique')[0]!.status, 'unknown');
    assert.equal(byCheck(r, 'node-net-outside-pod-net')[0]!.status, 'unknown');
  });
});

describe('preflight table (Block Kit, pure)', () => {
  const result = evaluatePreflight(
    facts(({ candidate }) => {
      candidate.sysctls = { stdout: 'net.ipv4.ip_forward=0\nnet.bridge.bridge-nf-call-iptables=1\n' };
      candidate['cni-config'] = { stdout: 'DIR /etc/cni/net.d\n<!here>&.conflist\n' };
    }),
  );

  it('a failure shows its catalog id in backticks and the check name; passes show the check name', () => {
    const fail = result.rows.find((r) => r.check === 'ip-forward')!;
    assert.equal(
      preflightLine(fail),
      ':x: `ip-forward-disabled` (ip-forward) — node-4: net.ipv4.ip_forward = 0; kubeadm needs 1',
    );
    const pass = result.rows.find((r) => r.check === 'swap-off')!;
    assert.equal(preflightLine(pass), ':white_check_mark: `swap-off` — node-4: no swap in use');
  });

  it('prerequisites then paths, failures first in each; node data is escaped; blocks are valid section/context/divider', () => {
    const m = renderPreflight(result);
    const sections = m.blocks.filter((b) => b.type === 'section') as { text: { text: string } }[];
    assert.match(
      sections[0]!.text.text,
      /^:x: \*Preflight of node-4\*: node-4 is not ready to join: 2 of \d+ checks failed \(ip-forward-disabled, leftover-cni-config\)/,
    );
    const prereq = sections[1]!.text.text.split('\n');
    assert.equal(prereq[0], '*Prerequisites on the node*');
    assert.ok(prereq[1]!.startsWith(':x:') && prereq[2]!.startsWith(':x:'), 'failures first');
    assert.match(sections[1]!.text.text, /&lt;!here&gt;&amp;\.conflist/);
    assert.doesNotMatch(JSON.stringify(m), /<!here>/);
    assert.ok(sections.some((s) => s.text.text.startsWith('*Paths it will need, both ways*')));
    for (const b of m.blocks) assert.ok(['section', 'context', 'divider'].includes(b.type as string));
    for (const s of sections) assert.ok(s.text.text.length <= 3000);
    assert.match(m.text, /fail: ip-forward-disabled/);
  });

  it('a large table is split into sections under Slack limits and stays under 50 blocks', () => {
    const rows: PreflightRow[] = Array.from({ length: 600 }, (_, i) => ({
      check: 'icmp',
      subject: `node-4 → node-${i}`,
      status: 'pass',
      detail: 'ping answered '.repeat(5),
      area: 'path',
    }));
    const m = renderPreflight({ node: 'node-4', verdict: 'ready', headline: 'x', rows });
    assert.ok(m.blocks.length <= 50);
    for (const b of m.blocks as { text?: { text: string } }[]) assert.ok((b.text?.text.length ?? 0) <= 3000);
  });
});
