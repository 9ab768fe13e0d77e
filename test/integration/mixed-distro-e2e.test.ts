import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type FaultSpec, type LabDistro, labExec } from '../../src/lab/lab.js';
import { parseKnownHosts } from '../../src/ssh/known-hosts.js';
import { sh } from '../../src/ssh/remote-command.js';
import { SshTransport } from '../../src/ssh/ssh-transport.js';
import { type Harness, messageText, startHarness } from '../support/netcheck-harness.js';

/**
 * The catalog end to end on a lab whose nodes run two Debian releases side by side, each with its
 * own userland (sshd, iproute2, iptables, curl, ping): cp-1 and node-1 on Debian 12, node-2 and
 * node-3 on Debian 13. Every fault that is injected into a worker runs on one node of each release;
 * the control plane's faults are diagnosed from a Debian 13 worker.
 */
const DISTROS: Record<string, LabDistro> = {
  'cp-1': 'bookworm',
  'node-1': 'bookworm',
  'node-2': 'trixie',
  'node-3': 'trixie',
};
const RELEASE: Record<LabDistro, { name: RegExp; sshd: RegExp; curl: RegExp }> = {
  bookworm: { name: /Debian GNU\/Linux 12/, sshd: /OpenSSH_9\.2/, curl: /^curl 7\./ },
  trixie: { name: /Debian GNU\/Linux 13/, sshd: /OpenSSH_10\./, curl: /^curl 8\./ },
};

interface Case {
  readonly spec: FaultSpec;
  /** The node `/netcheck` is asked about. */
  readonly node: string;
  readonly id: string;
  readonly at?: string;
  readonly evidence?: RegExp;
}

/** The catalog's worker faults, injected into and diagnosed on worker `w` (node-k, index k). */
function workerCases(w: string): Case[] {
  const k = Number(w.split('-')[1]);
  const on = (id: FaultSpec['id'], evidence?: RegExp, at?: string): Case => ({
    spec: { id, node: w },
    node: w,
    id,
    ...(evidence ? { evidence } : {}),
    ...(at ? { at } : {}),
  });
  return [
    on('icmp-blocked', /-p icmp/, w),
    on('apiserver-port-blocked', /REJECT/, w),
    on('podcidr-overlaps-host-net', /flannel\.1/),
    on('podcidr-not-assigned', /pod cidr not assigned/),
    on('podcidr-netconf-mismatch', /10\.245\.0\.0\/16/),
    on('flannel1-missing', /flannel\.1/),
    on('subnet-env-missing', /subnet\.env/),
    on('cni-config-missing', /\/etc\/cni\/net\.d/),
    on('leftover-cni-config', /10-calico\.conflist/),
    on('stale-cni0-bridge', new RegExp(`10\\.244\\.${k + 100}\\.1`)),
    on('forward-policy-drop', /FORWARD DROP/),
    on('ip-forward-disabled', /ip_forward/),
    on('br-netfilter-missing', /bridge-nf-call-iptables/),
    on('vxlan-8472-blocked', /8472/, w),
    on('wrong-iface-public-ip', /10\.0\.2\.15/),
    on('mtu-mismatch', /1422/),
    on('vtep-mac-mismatch', undefined, w),
    on('kube-proxy-missing', /10\.96\.0\.1/),
    on('node-unreachable'),
    on('no-default-route', /no default route/),
    on('flannel1-stale-address', new RegExp(`169\\.254\\.23\\.${10 + k}/16`)),
    on('network-manager-interference', /cni0:connected \(externally\)/),
    on('vxlan-checksum-offload', /UDP: bad checksum/),
    on('conntrack-table-full', /nf_conntrack_count 62000/),
    on('public-ip-duplicate', /10\.0\.2\.15/),
    on('peer-route-missing', /AddFDB failed/),
  ];
}

/** The control plane's faults (cp-1, Debian 12) as a Debian 13 worker's check sees them. */
const CONTROL_PLANE_CASES: Case[] = [
  {
    spec: { id: 'icmp-blocked', node: 'cp-1' },
    node: 'node-3',
    id: 'icmp-blocked',
    at: 'cp-1',
    evidence: /-A INPUT -p icmp/,
  },
  {
    spec: { id: 'apiserver-port-blocked', node: 'cp-1' },
    node: 'node-3',
    id: 'apiserver-port-blocked',
    at: 'cp-1',
    evidence: /6443/,
  },
  { spec: { id: 'apiserver-down', node: 'cp-1' }, node: 'node-3', id: 'apiserver-down', at: 'cp-1' },
  {
    spec: { id: 'vxlan-8472-blocked', node: 'cp-1' },
    node: 'node-3',
    id: 'vxlan-8472-blocked',
    at: 'cp-1',
    evidence: /8472/,
  },
  { spec: { id: 'vtep-mac-mismatch', node: 'cp-1' }, node: 'node-3', id: 'vtep-mac-mismatch', at: 'cp-1' },
];

describe('netcheck end to end on a mixed lab (Debian 12 and 13 nodes)', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ labId: 'ncmixed', netIndex: 47, distros: DISTROS });
  });
  after(async () => {
    await h?.close();
  });

  it("every node runs its release's own userland", async () => {
    for (const [node, distro] of Object.entries(DISTROS)) {
      const r = await labExec(h.lab, node, [
        'sh',
        '-c',
        '. /etc/os-release; echo "$PRETTY_NAME"; ssh -V 2>&1; curl --version | head -n 1',
      ]);
      const [name = '', sshd = '', curl = ''] = r.stdout.split('\n');
      assert.match(name, RELEASE[distro].name, `${node}: ${r.stdout}`);
      assert.match(sshd, RELEASE[distro].sshd, `${node}: ${r.stdout}`);
      assert.match(curl, RELEASE[distro].curl, `${node}: ${r.stdout}`);
    }
  });

  /** Checks every node and fails once, naming each node that is not `healthy` (not only the first). */
  async function assertAllHealthy(): Promise<void> {
    const unhealthy: string[] = [];
    for (const node of Object.keys(DISTROS)) {
      const { report } = await h.check(node);
      if (!/`healthy`/.test(messageText(report)))
        unhealthy.push(`${node} (${DISTROS[node]}): ${report.text}`);
    }
    assert.deepEqual(unhealthy, [], unhealthy.join('\n'));
  }

  it('every node is reported `healthy`', assertAllHealthy);

  for (const f of [...CONTROL_PLANE_CASES, ...workerCases('node-1'), ...workerCases('node-3')]) {
    const where = `${DISTROS[f.spec.node]}`;
    it(`${f.spec.id}@${f.spec.node} (${where}): /netcheck ${f.node} names \`${f.id}\``, async () => {
      await h.withFault(f.spec, async () => {
        const { parent, report } = await h.check(f.node);
        const text = messageText(report);
        assert.match(
          JSON.stringify(report.blocks[0]),
          new RegExp(`\`${f.id}\``),
          `root cause shown first:\n${text}`,
        );
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

  it('after clearing the faults every node is `healthy` again', assertAllHealthy);

  /**
   * The SSH pool's "20 commands at once within MaxSessions" against each release's sshd, 20 times in
   * a row, each time on a fresh transport (a fresh connection): OpenSSH 10 refused channel opens at
   * random before the pool queued refused channels (issue 13).
   */
  for (const node of ['node-2', 'node-1']) {
    it(`20 commands at once on one pooled connection, 20 runs in a row, against ${node}'s sshd (${DISTROS[node]})`, async () => {
      const spec = h.lab.nodes.find((n) => n.name === node)!;
      const target = { name: node, host: spec.host, port: spec.port };
      const privateKey = await readFile(h.lab.privateKeyPath, 'utf8');
      const knownHosts = parseKnownHosts(await readFile(h.lab.knownHostsPath, 'utf8'));
      const failures: string[] = [];
      for (let run = 1; run <= 20; run++) {
        const transport = new SshTransport({ user: 'root', privateKey, knownHosts, connectTimeoutMs: 2000 });
        try {
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              // Then the nearest ancestor called `sshd` (OpenSSH 9) or `sshd-session` (OpenSSH 10): the
              // process serving the command's connection, the same for every channel of one connection.
              transport.exec(
                target,
                sh`echo ${i}; p=$$; while [ "$p" -gt 1 ] && c=$(ps -o comm= -p "$p") && [ "\${c%-session}" != sshd ]; do p=$(ps -o ppid= -p "$p" | tr -d ' '); done; echo "$p"`,
                { timeoutMs: 5000 },
              ),
            ),
          );
          const bad = results.findIndex((r, i) => r.exitCode !== 0 || !r.stdout.startsWith(`${i}\n`));
          // Every command's parent is the one session process of the one connection.
          const parents = new Set(results.map((r) => r.stdout.split('\n')[1]));
          if (bad !== -1) failures.push(`run ${run}: command ${bad} gave ${JSON.stringify(results[bad])}`);
          else if (parents.size !== 1) failures.push(`run ${run}: ${parents.size} session processes`);
        } catch (error) {
          failures.push(`run ${run}: ${(error as Error).message}`);
        } finally {
          await transport.close();
        }
      }
      assert.deepEqual(failures, [], `${20 - failures.length}/20 runs passed`);
    });
  }
});
