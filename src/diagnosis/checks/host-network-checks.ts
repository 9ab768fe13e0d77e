import { kernelMayHaveVxlanChecksumBug } from '../../probes/parsers/dmesg.js';
import type { InterfaceAddress } from '../../probes/parsers/ip-addr.js';
import { unmanagedSpecCovers } from '../../probes/parsers/nmcli.js';
import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import { parseCidr } from '../cidr.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import type { Confidence } from '../finding.js';
import { kubeNodes } from '../kube-nodes.js';

/** The node has a default route: Flannel without --iface picks its interface from it (as kubelet picks the node IP). */
export function defaultRouteChecks(view: FactView): Check[] {
  const target = view.target.name;
  if (!view.output(target, PROBE.routes)) return [];
  const routes = view.parsed(target, PROBE.routes);
  const ref = checkRef('default-route', target);
  const title = `${target} has a default route`;
  if (routes.status === 'unknown') return [makeCheck(ref, title, 'unknown', routes.reason, [])];
  const defaults = routes.value.filter((r) => r.dst === 'default' || r.dst === '0.0.0.0/0');
  const shown = defaults.map((r) =>
    ['default', r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : ''].filter(Boolean).join(' '),
  );
  return [
    makeCheck(
      ref,
      title,
      defaults.length > 0 ? 'pass' : 'fail',
      defaults.length > 0
        ? shown.join('; ')
        : 'no default route in the main table (ip route show default is empty)',
      [view.evidence(target, PROBE.routes, defaults.length > 0 ? shown : ['(no default route)'])],
    ),
  ];
}

/** The interface carrying the node's own address (its uplink), for the fix text. */
export function uplinkOf(view: FactView, node: string): InterfaceAddress | undefined {
  const addrs = view.parsed(node, PROBE.addresses);
  const host = view.node(node)?.host;
  return addrs.status === 'ok' ? addrs.value.find((a) => a.address === host) : undefined;
}

export interface Flannel1Addresses {
  /** `<subnet network address>/32`, as Flannel gives flannel.1; undefined when the subnet is unknown. */
  readonly expected: string | undefined;
  readonly all: readonly string[];
  /** Addresses Flannel did not put there: with more than one address on it, Flannel refuses the link. */
  readonly extras: readonly string[];
}

/** flannel.1's IPv4 addresses against the one Flannel gives it: its subnet's network address, /32. */
export function flannel1Addresses(view: FactView): Flannel1Addresses | undefined {
  const target = view.target.name;
  const addrs = view.parsed(target, PROBE.addresses);
  if (addrs.status !== 'ok') return undefined;
  const mine = addrs.value.filter((a) => a.ifname === 'flannel.1').map((a) => `${a.address}/${a.prefixlen}`);
  if (mine.length === 0) return undefined;
  const env = view.parsed(target, PROBE.subnetEnv);
  const subnet =
    (env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined) ??
    kubeNodes(view).find((n) => n.name === target)?.podCIDR;
  const net = subnet ? parseCidr(subnet) : undefined;
  const expected = net ? `${[24, 16, 8, 0].map((s) => (net.base >>> s) & 255).join('.')}/32` : undefined;
  // Flannel replaces a single wrong address itself (a new lease); two or more it refuses.
  const foreign = mine.filter((a) => !/\.0\/32$/.test(a));
  const extras =
    mine.length <= 1
      ? []
      : expected && mine.includes(expected)
        ? mine.filter((a) => a !== expected)
        : foreign.length > 0
          ? foreign
          : mine.slice(1);
  return { expected, all: mine, extras };
}

export function flannel1AddressChecks(view: FactView): Check[] {
  const target = view.target.name;
  const a = flannel1Addresses(view);
  if (!a) return [];
  return [
    makeCheck(
      checkRef('flannel1-addresses', target),
      `flannel.1 on ${target} carries only its subnet's address`,
      a.extras.length > 0 ? 'fail' : 'pass',
      `flannel.1 ${a.all.join(', ')}${a.expected ? `; Flannel gives it ${a.expected}` : ''}${a.extras.length > 0 ? `; extra: ${a.extras.join(', ')}` : ''}`,
      [
        view.evidence(
          target,
          PROBE.addresses,
          a.all.map((x) => `flannel.1 inet ${x}`),
        ),
        ...(a.expected ? [view.evidence(target, PROBE.subnetEnv)] : []),
      ],
    ),
  ];
}

/** cni0 and Flannel's devices are the CNI's: NetworkManager must leave them alone. */
const OVERLAY_DEVICE = (name: string) => name === 'cni0' || name.startsWith('flannel');

/** NetworkManager does not manage cni0/flannel*; not applicable (no check) where it does not run. */
export function networkManagerChecks(view: FactView): Check[] {
  const target = view.target.name;
  if (!view.output(target, PROBE.networkManager)) return [];
  const nm = view.parsed(target, PROBE.networkManager);
  const ref = checkRef('network-manager', target);
  const title = `NetworkManager leaves cni0 and flannel.* alone on ${target}`;
  if (nm.status === 'unknown') return [makeCheck(ref, title, 'unknown', nm.reason, [])];
  if (!nm.value.applicable) return [];
  const overlay = nm.value.devices.filter((d) => OVERLAY_DEVICE(d.device));
  const managed = overlay.filter((d) => d.managed);
  const config = nm.value.unmanagedConfig;
  const uncovered = managed.filter((d) => !config.some((c) => unmanagedSpecCovers(c.value, d.device)));
  const detail =
    managed.length === 0
      ? overlay.length > 0
        ? `${overlay.map((d) => d.device).join(', ')} unmanaged`
        : 'NetworkManager lists neither cni0 nor flannel.*'
      : `NetworkManager manages ${managed.map((d) => `${d.device} (${d.state})`).join(', ')}; ${
          uncovered.length > 0
            ? `no unmanaged-devices for ${uncovered.map((d) => d.device).join(', ')} in its config`
            : 'unmanaged-devices covers them in its config, but NetworkManager has not reloaded it'
        }`;
  return [
    makeCheck(ref, title, managed.length > 0 ? 'fail' : 'pass', detail, [
      view.evidence(target, PROBE.networkManager, [
        ...overlay.map((d) => `${d.device}:${d.state}`),
        ...(config.length > 0
          ? config.map((c) => `${c.file}: unmanaged-devices=${c.value}`)
          : ['(no unmanaged-devices in /etc/NetworkManager/NetworkManager.conf or conf.d)']),
      ]),
    ]),
  ];
}

export interface VxlanChecksumFacts {
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly detail: string;
  readonly confidence: Confidence;
  /** tx-checksum-ip-generic on flannel.1: undefined when it could not be read (no ethtool). */
  readonly offloadOn: boolean | undefined;
  readonly evidence: Evidence[];
}

/**
 * tx checksum offload on flannel.1 is normal on fixed kernels: only the kernel's own "UDP: bad
 * checksum … :<VXLAN port>" lines make it the cause. Without a readable kernel log, a kernel
 * release from before the fix with offload on is a low-confidence hint; a newer one passes.
 */
export function vxlanChecksumFacts(view: FactView): VxlanChecksumFacts | undefined {
  const target = view.target.name;
  const link = view.parsed(target, PROBE.flannelLink);
  if (link.status !== 'ok' || !link.value.exists) return undefined;
  if (!view.output(target, PROBE.kernelLog) && !view.output(target, PROBE.ethtoolFlannel)) return undefined;
  const port = link.value.vxlan?.port ?? 8472;
  const eth = view.parsed(target, PROBE.ethtoolFlannel);
  const generic =
    eth.status === 'ok' && eth.value.device === 'present' && eth.value.ethtool
      ? eth.value.txChecksumIpGeneric
      : undefined;
  const offloadOn = generic?.on;
  const offloadText =
    offloadOn === undefined
      ? eth.status === 'unknown'
        ? `offload unknown (${eth.reason})`
        : 'offload unknown (no ethtool on the node)'
      : `tx-checksum-ip-generic ${offloadOn ? 'on' : 'off'}`;
  const evidence: Evidence[] = [];
  if (generic)
    evidence.push(
      view.evidence(target, PROBE.ethtoolFlannel, [`tx-checksum-ip-generic: ${offloadOn ? 'on' : 'off'}`]),
    );
  const klog = view.parsed(target, PROBE.kernelLog);
  const release = klog.status === 'ok' ? klog.value.release : undefined;
  const bad =
    klog.status === 'ok' && klog.value.readable
      ? klog.value.badChecksums.filter((b) => b.dport === port)
      : undefined;
  if (bad && bad.length > 0) {
    evidence.push(
      view.evidence(
        target,
        PROBE.kernelLog,
        bad.slice(-5).map((b) => b.line),
        `kernel ${release ?? '?'}: VXLAN (${port}/udp) packets arrive with bad checksums`,
      ),
    );
    if (offloadOn === false)
      return {
        status: 'pass',
        detail: `${offloadText}; the ${bad.length} "bad checksum" line(s) for :${port} in the kernel log predate that`,
        confidence: 'high',
        offloadOn,
        evidence,
      };
    return {
      status: 'fail',
      detail: `flannel.1 ${offloadText}, and the kernel logs "UDP: bad checksum" for :${port} (${bad.length} line(s))`,
      confidence: offloadOn ? 'high' : 'medium',
      offloadOn,
      evidence,
    };
  }
  if (bad)
    return {
      status: 'pass',
      detail: `no "UDP: bad checksum" for :${port} in the kernel log (${offloadText})`,
      confidence: 'high',
      offloadOn,
      evidence,
    };
  const why = klog.status === 'ok' ? klog.value.why : klog.reason;
  const affected = kernelMayHaveVxlanChecksumBug(release);
  if (offloadOn === false)
    return {
      status: 'pass',
      detail: `${offloadText}: no checksum offload to go wrong (kernel log not read: ${why})`,
      confidence: 'high',
      offloadOn,
      evidence,
    };
  if (affected === false)
    return {
      status: 'pass',
      detail: `kernel ${release} is newer than the VXLAN checksum bug (kernel log not read: ${why})`,
      confidence: 'high',
      offloadOn,
      evidence,
    };
  if (affected && offloadOn) {
    evidence.push(
      view.evidence(target, PROBE.kernelLog, [`KERNEL ${release}`], `kernel log not read: ${why}`),
    );
    return {
      status: 'fail',
      detail: `flannel.1 ${offloadText} on kernel ${release}, which may have the VXLAN checksum bug (kernel log not read: ${why})`,
      confidence: 'low',
      offloadOn,
      evidence,
    };
  }
  return {
    status: 'unknown',
    detail: `kernel log not read (${why}); kernel ${release ?? 'unknown'}, ${offloadText}`,
    confidence: 'low',
    offloadOn,
    evidence,
  };
}

export function vxlanChecksumChecks(view: FactView): Check[] {
  const facts = vxlanChecksumFacts(view);
  if (!facts) return [];
  const target = view.target.name;
  return [
    makeCheck(
      checkRef('vxlan-checksum', target),
      `VXLAN packets on ${target} keep valid checksums (flannel.1 tx checksum offload)`,
      facts.status,
      facts.detail,
      facts.evidence,
    ),
  ];
}
