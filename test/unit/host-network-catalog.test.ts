import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { kernelMayHaveVxlanChecksumBug, parseKernelLog } from '../../src/probes/parsers/dmesg.js';
import { parseEthtoolFeatures } from '../../src/probes/parsers/ethtool.js';
import { parseNetworkManager, unmanagedSpecCovers } from '../../src/probes/parsers/nmcli.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import type { PlanStep } from '../../src/remediation/plan-step.js';
import { planFor, rollbackPlanFor } from '../../src/remediation/runbooks.js';
import { clusterFactsWithPeer, fixture, output } from '../support/facts-builder.js';

const out = (stdout: string, fields: Partial<ProbeOutput> = {}) =>
  output('p', 'node-3', { stdout, ...fields });
const ids = (facts: Parameters<typeof diagnose>[0]) =>
  diagnose(facts).rootCauses.map((c) => `${c.id}@${c.node}`);
const planIds = {
  planId: 'plan-1',
  runId: 'run-1',
  requestedBy: 'U0REQ',
  createdAt: '2026-11-24T03:00:00.000Z',
};
const shell = (step: PlanStep | undefined) => {
  assert.equal(step?.kind, 'shell');
  return step as Extract<PlanStep, { kind: 'shell' }>;
};

const ROUTES_OK = JSON.stringify([
  { dst: 'default', gateway: '198.18.0.1', dev: 'eth0', flags: [] },
  { dst: '198.18.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.18.0.13', flags: [] },
  { dst: '10.244.1.0/24', gateway: '10.244.1.0', dev: 'flannel.1', flags: ['onlink'] },
]);
const ROUTES_NO_DEFAULT = JSON.stringify(JSON.parse(ROUTES_OK).slice(1));
const ETHTOOL_ON = `Features for flannel.1:
rx-checksumming: on
tx-checksumming: on
\ttx-checksum-ipv4: off [fixed]
\ttx-checksum-ip-generic: on
\ttx-checksum-ipv6: off [fixed]
scatter-gather: on
`;
const ETHTOOL_OFF = ETHTOOL_ON.replace('tx-checksumming: on', 'tx-checksumming: off').replace(
  'tx-checksum-ip-generic: on',
  'tx-checksum-ip-generic: off',
);
const BAD = '[ 4242.100000] UDP: bad checksum. From 198.18.0.11:41000 to 198.18.0.13:8472 ulen 110';
const KLOG_CLEAN = 'KERNEL 6.18.44\nDMESG 0\n';
const NM_NOT_RUNNING = 'NMCLI 8\n';

/** The target's outputs of this file's probes, healthy, with overrides. */
function facts(
  o: Record<string, Partial<ProbeOutput>> = {},
  extra: Record<string, Partial<ProbeOutput>> = {},
) {
  return clusterFactsWithPeer({
    worker: {
      [PROBE.routes]: { stdout: ROUTES_OK },
      [PROBE.networkManager]: { stdout: NM_NOT_RUNNING },
      [PROBE.ethtoolFlannel]: { stdout: ETHTOOL_ON },
      [PROBE.kernelLog]: { stdout: KLOG_CLEAN },
      ...o,
    },
    ...extra,
  });
}

const addrsWith = (extra: string) => {
  const json = JSON.parse(fixture('ip-addr.json')) as { ifname: string; addr_info: unknown[] }[];
  const flannel = json.find((l) => l.ifname === 'flannel.1')!;
  const [address, prefixlen] = extra.split('/');
  flannel.addr_info.push({ family: 'inet', local: address, prefixlen: Number(prefixlen), scope: 'link' });
  return JSON.stringify(json);
};

describe('parsers: nmcli, ethtool, kernel log', () => {
  it('nmcli: absent or NetworkManager not running is "not applicable"; devices by terse column, escapes undone', () => {
    assert.deepEqual(parseNetworkManager(out('NONMCLI\n')), {
      status: 'ok',
      value: { applicable: false, why: 'nmcli is not installed' },
    });
    const stopped = parseNetworkManager(
      out(NM_NOT_RUNNING, { stderr: 'Error: NetworkManager is not running.' }),
    );
    assert.equal(stopped.status === 'ok' && stopped.value.applicable, false);
    const running = parseNetworkManager(
      out(
        'eth0:connected\ncni0:connected (externally)\nflannel.1:unmanaged\nodd\\:name:disconnected\nlo:unmanaged\nNMCLI 0\nCONF /etc/NetworkManager/conf.d/10-x.conf:unmanaged-devices=interface-name:flannel*\n',
      ),
    );
    assert.equal(running.status, 'ok');
    if (running.status !== 'ok' || !running.value.applicable) return;
    assert.deepEqual(
      running.value.devices.map((d) => [d.device, d.managed]),
      [
        ['eth0', true],
        ['cni0', true],
        ['flannel.1', false],
        ['odd:name', true],
        ['lo', false],
      ],
    );
    assert.deepEqual(running.value.unmanagedConfig, [
      { file: '/etc/NetworkManager/conf.d/10-x.conf', value: 'interface-name:flannel*' },
    ]);
    assert.equal(parseNetworkManager(out('NMCLI 10\n')).status, 'unknown');
    assert.equal(parseNetworkManager(out('', { exitCode: 127 })).status, 'unknown');
  });

  it('unmanaged-devices specs match by interface name, with globs, = and ~', () => {
    const spec = 'interface-name:cni0;interface-name:flannel*';
    assert.ok(unmanagedSpecCovers(spec, 'cni0'));
    assert.ok(unmanagedSpecCovers(spec, 'flannel.1'));
    assert.ok(!unmanagedSpecCovers(spec, 'eth0'));
    assert.ok(!unmanagedSpecCovers('mac:00:11:22:33:44:55', 'cni0'));
    assert.ok(unmanagedSpecCovers('interface-name:=cni0', 'cni0'));
    assert.ok(!unmanagedSpecCovers('interface-name:=cni*', 'cni0'));
    assert.ok(unmanagedSpecCovers('interface-name:~flannel.?', 'flannel.1'));
    assert.ok(!unmanagedSpecCovers('interface-name:flannel.1', 'flannelx1'), 'a dot is a dot');
  });

  it('ethtool -k: tx-checksum-ip-generic on/off, NODEV, NOETHTOOL, missing tool', () => {
    const on = parseEthtoolFeatures(out(ETHTOOL_ON));
    assert.ok(on.status === 'ok' && on.value.device === 'present' && on.value.ethtool);
    if (on.status === 'ok' && on.value.device === 'present' && on.value.ethtool)
      assert.deepEqual(on.value.txChecksumIpGeneric, { on: true, fixed: false });
    const off = parseEthtoolFeatures(out(ETHTOOL_OFF));
    assert.ok(off.status === 'ok' && off.value.device === 'present' && off.value.ethtool);
    if (off.status === 'ok' && off.value.device === 'present' && off.value.ethtool)
      assert.equal(off.value.txChecksumIpGeneric?.on, false);
    assert.deepEqual(parseEthtoolFeatures(out('NODEV\n')), { status: 'ok', value: { device: 'absent' } });
    assert.deepEqual(parseEthtoolFeatures(out('NOETHTOOL\n')), {
      status: 'ok',
      value: { device: 'present', ethtool: false },
    });
    assert.equal(parseEthtoolFeatures(out('', { exitCode: 127 })).status, 'unknown');
    assert.equal(parseEthtoolFeatures(out('garbage\n')).status, 'unknown');
  });

  it('kernel log: bad-checksum lines with their port; an unreadable log is a fact; the release hint', () => {
    const log = parseKernelLog(out(`KERNEL 4.19.0-26-amd64\nDMESG 0\n${BAD}\n`));
    assert.ok(log.status === 'ok' && log.value.readable);
    if (log.status === 'ok') {
      assert.equal(log.value.release, '4.19.0-26-amd64');
      assert.deepEqual(
        log.value.badChecksums.map((b) => [b.from, b.to, b.dport]),
        [['198.18.0.11', '198.18.0.13', 8472]],
      );
    }
    const denied = parseKernelLog(
      out('KERNEL 6.1.0-28-amd64\nDMESG 1 dmesg: read kernel buffer failed: Operation not permitted\n'),
    );
    assert.ok(denied.status === 'ok' && !denied.value.readable);
    if (denied.status === 'ok') assert.match(denied.value.why ?? '', /Operation not permitted/);
    const deniedNow = parseKernelLog(
      out('KERNEL 6.1.0-28-amd64\ndmesg: read kernel buffer failed: Operation not permitted\nDMESG 1\n'),
    );
    assert.ok(deniedNow.status === 'ok' && !deniedNow.value.readable);
    if (deniedNow.status === 'ok')
      assert.equal(
        deniedNow.value.why,
        'dmesg failed (exit 1: dmesg: read kernel buffer failed: Operation not permitted)',
      );
    const none = parseKernelLog(out('KERNEL 6.1.0\nNODMESG\n'));
    assert.ok(none.status === 'ok' && !none.value.readable);
    assert.equal(parseKernelLog(out('KERNEL 6.1.0\n')).status, 'unknown');
    assert.equal(kernelMayHaveVxlanChecksumBug('4.19.0-26-amd64'), true);
    assert.equal(kernelMayHaveVxlanChecksumBug('5.6.19'), true);
    assert.equal(kernelMayHaveVxlanChecksumBug('5.7.0'), false);
    assert.equal(kernelMayHaveVxlanChecksumBug('6.18.44-fc'), false);
    assert.equal(kernelMayHaveVxlanChecksumBug(undefined), undefined);
  });
});

describe('diagnose: host network ids', () => {
  it('a healthy node with every new probe recorded is `healthy` (nothing called, no unknowns)', () => {
    const report = diagnose(facts());
    assert.equal(report.verdict, 'healthy', JSON.stringify(report.checks.filter((c) => c.status !== 'pass')));
    for (const kind of ['default-route', 'flannel1-addresses', 'vxlan-checksum'])
      assert.ok(
        report.checks.some((c) => c.kind === kind && c.status === 'pass'),
        `${kind} was checked and passed`,
      );
    assert.ok(!report.checks.some((c) => c.kind === 'network-manager'), 'not applicable: no check at all');
  });

  it("no-default-route: decisive with Flannel's line (folding what Flannel did not set up), weak while Flannel is up", () => {
    const line =
      '2026-11-24T03:10:00Z stderr F E1124 03:10:00.000000 1 main.go:227] Failed to find any valid interface to use: failed to get default interface: Unable to find default route';
    const decisive = diagnose(
      facts({
        [PROBE.routes]: { stdout: ROUTES_NO_DEFAULT },
        [PROBE.flannelLog]: { stdout: `LOG /var/log/pods/x/kube-flannel/0.log\n${line}\n` },
        [PROBE.subnetEnv]: { stdout: 'NOFILE\n' },
      }),
    );
    assert.deepEqual(
      decisive.rootCauses.map((c) => [c.id, c.confidence, c.folded.map((f) => f.id)]),
      [['no-default-route', 'high', ['subnet-env-missing']]],
    );
    assert.match(decisive.rootCauses[0]!.cause, /--iface=eth0/);
    assert.equal(decisive.unexplained.length, 0);
    assert.equal(planFor(decisive, planIds), undefined, 'report only: no plan');
    const weak = diagnose(facts({ [PROBE.routes]: { stdout: ROUTES_NO_DEFAULT } }));
    assert.deepEqual(
      weak.rootCauses.map((c) => [c.id, c.confidence]),
      [['no-default-route', 'low']],
    );
    assert.deepEqual(ids(facts({ [PROBE.routes]: { stdout: ROUTES_OK } })), []);
    const unread = diagnose(facts({ [PROBE.routes]: { exitCode: 127, stdout: '' } }));
    assert.equal(unread.checks.find((c) => c.kind === 'default-route')?.status, 'unknown');
  });

  it('flannel1-stale-address: a second address on flannel.1 is called with a plan that removes exactly it; one wrong address alone is not', () => {
    const report = diagnose(facts({ [PROBE.addresses]: { stdout: addrsWith('169.254.23.13/16') } }));
    assert.deepEqual(
      report.rootCauses.map((c) => c.id),
      ['flannel1-stale-address'],
    );
    assert.match(report.rootCauses[0]!.cause, /169\.254\.23\.13\/16 besides its subnet's 10\.244\.3\.0\/32/);
    const plan = planFor(report, planIds)!;
    assert.equal(plan.node, 'node-3');
    const step = shell(plan.steps[0]);
    assert.match(step.command, /ip -d addr show dev flannel\.1 > .*addr-flannel\.1\.txt/);
    assert.match(step.command, /ip addr del 169\.254\.23\.13\/16 dev flannel\.1/);
    assert.doesNotMatch(step.command, /10\.244\.3\.0/);
    assert.match(
      step.check,
      /! \{ ip -o -4 addr show dev flannel\.1 \| grep -qF -- ' inet 169\.254\.23\.13\/16 '/,
    );
    assert.match(step.check, /grep -qF -- ' inet 10\.244\.3\.0\/32 '/);
    const rollback = rollbackPlanFor(
      { ...plan, signature: 'x' },
      { planId: 'plan-2', createdAt: planIds.createdAt },
    );
    assert.match(shell(rollback.steps[0]).command, /ip addr replace 169\.254\.23\.13\/16 dev flannel\.1/);
    // A node whose subnet changed: Flannel replaces a single old address itself.
    assert.deepEqual(
      ids(
        facts({
          [PROBE.subnetEnv]: { stdout: 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\n' },
        }),
      ),
      [],
    );
  });

  it('network-manager-interference: managed cni0/flannel.1 without unmanaged-devices → the drop-in plan (and cni0 gets its address back)', () => {
    const addrs = JSON.parse(fixture('ip-addr.json')) as {
      ifname: string;
      addr_info: { family: string }[];
    }[];
    addrs.find((l) => l.ifname === 'cni0')!.addr_info = [];
    const report = diagnose(
      facts({
        [PROBE.networkManager]: {
          stdout:
            'eth0:connected\ncni0:connected (externally)\nflannel.1:connected (externally)\nlo:unmanaged\nNMCLI 0\n',
        },
        [PROBE.addresses]: { stdout: JSON.stringify(addrs) },
      }),
    );
    assert.deepEqual(
      report.rootCauses.map((c) => [c.id, c.confidence]),
      [['network-manager-interference', 'high']],
    );
    assert.match(JSON.stringify(report.rootCauses[0]!.evidence), /no unmanaged-devices/);
    const plan = planFor(report, planIds)!;
    const write = shell(plan.steps[0]);
    assert.match(
      write.command,
      /printf '\[keyfile\]\\nunmanaged-devices=%s\\n' 'interface-name:cni0;interface-name:flannel\*' > \/etc\/NetworkManager\/conf\.d\/99-netcheck-unmanaged\.conf/,
    );
    assert.match(write.command, /nmcli general reload$/);
    assert.match(write.check, /nmcli -t -f DEVICE,STATE dev/);
    assert.match(shell(plan.steps[1]).command, /^ip addr replace 10\.244\.3\.1\/24 dev cni0$/);
    // Covered and reloaded: unmanaged, nothing called.
    const fine = facts({
      [PROBE.networkManager]: {
        stdout:
          'eth0:connected\ncni0:unmanaged\nflannel.1:unmanaged\nNMCLI 0\nCONF /etc/NetworkManager/conf.d/99-netcheck-unmanaged.conf:unmanaged-devices=interface-name:cni0;interface-name:flannel*\n',
      },
    });
    assert.deepEqual(ids(fine), []);
    assert.equal(diagnose(fine).verdict, 'healthy');
    assert.deepEqual(ids(facts({ [PROBE.networkManager]: { stdout: 'NONMCLI\n' } })), []);
  });

  it("vxlan-checksum-offload: offload on is called only with the kernel's bad-checksum lines for the VXLAN port", () => {
    const withLines = diagnose(facts({ [PROBE.kernelLog]: { stdout: `KERNEL 5.4.0\nDMESG 0\n${BAD}\n` } }));
    assert.deepEqual(
      withLines.rootCauses.map((c) => [c.id, c.confidence]),
      [['vxlan-checksum-offload', 'high']],
    );
    assert.match(JSON.stringify(withLines.rootCauses[0]!.evidence), /bad checksum/);
    const step = shell(planFor(withLines, planIds)!.steps[0]);
    assert.match(step.command, /ethtool -K flannel\.1 tx-checksum-ip-generic off/);
    assert.match(step.command, /90-netcheck-flannel-offload\.rules/);
    assert.match(step.check, /tx-checksum-ip-generic: off/);
    // Healthy: offload on without bad checksums (fixed kernels), lines for another port, offload already off.
    assert.deepEqual(ids(facts()), []);
    const otherPort = BAD.replace(':8472', ':53');
    assert.deepEqual(
      ids(facts({ [PROBE.kernelLog]: { stdout: `KERNEL 5.4.0\nDMESG 0\n${otherPort}\n` } })),
      [],
    );
    assert.deepEqual(
      ids(
        facts({
          [PROBE.kernelLog]: { stdout: `KERNEL 5.4.0\nDMESG 0\n${BAD}\n` },
          [PROBE.ethtoolFlannel]: { stdout: ETHTOOL_OFF },
        }),
      ),
      [],
    );
    // Kernel log unreadable: a new kernel passes; an old one with offload on is a low-confidence hint.
    const denied = (release: string) =>
      `KERNEL ${release}\nDMESG 1 dmesg: read kernel buffer failed: Operation not permitted\n`;
    assert.deepEqual(ids(facts({ [PROBE.kernelLog]: { stdout: denied('6.1.0-28-amd64') } })), []);
    const oldButOff = facts({
      [PROBE.kernelLog]: { stdout: denied('4.19.0-26-amd64') },
      [PROBE.ethtoolFlannel]: { stdout: ETHTOOL_OFF },
    });
    assert.equal(diagnose(oldButOff).verdict, 'healthy', 'offload off: nothing can go wrong, not unknown');
    const oldNoTool = diagnose(
      facts({
        [PROBE.kernelLog]: { stdout: denied('4.19.0-26-amd64') },
        [PROBE.ethtoolFlannel]: { stdout: 'NOETHTOOL\n' },
      }),
    );
    assert.equal(oldNoTool.checks.find((c) => c.kind === 'vxlan-checksum')?.status, 'unknown');
    const hint = diagnose(facts({ [PROBE.kernelLog]: { stdout: denied('4.19.0-26-amd64') } }));
    assert.deepEqual(
      hint.rootCauses.map((c) => [c.id, c.confidence]),
      [['vxlan-checksum-offload', 'low']],
    );
    // Bad checksums but no ethtool: called, without a plan (nothing to run it with).
    const noTool = diagnose(
      facts({
        [PROBE.kernelLog]: { stdout: `KERNEL 5.4.0\nDMESG 0\n${BAD}\n` },
        [PROBE.ethtoolFlannel]: { stdout: 'NOETHTOOL\n' },
      }),
    );
    assert.deepEqual(
      noTool.rootCauses.map((c) => [c.id, c.confidence]),
      [['vxlan-checksum-offload', 'medium']],
    );
    assert.equal(planFor(noTool, planIds), undefined);
  });
});
