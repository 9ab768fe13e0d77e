import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView } from '../fact-view.js';

/** Kernel settings pod networking needs: IP forwarding and bridge netfilter. */
export function sysctlChecks(view: FactView): Check[] {
  const target = view.target.name;
  const sysctls = view.parsed(target, PROBE.sysctls);
  const evidence = [view.evidence(target, PROBE.sysctls)];
  const value = (k: string) => (sysctls.status === 'ok' ? sysctls.value[k] : undefined);
  return [
    makeCheck(
      checkRef('ip-forward', target),
      `net.ipv4.ip_forward on ${target}`,
      sysctls.status === 'unknown' ? 'unknown' : value('net.ipv4.ip_forward') === '1' ? 'pass' : 'fail',
      sysctls.status === 'unknown'
        ? sysctls.reason
        : `net.ipv4.ip_forward = ${value('net.ipv4.ip_forward') ?? 'missing'}`,
      evidence,
    ),
    makeCheck(
      checkRef('br-netfilter', target),
      `bridge netfilter (br_netfilter) on ${target}`,
      sysctls.status === 'unknown'
        ? 'unknown'
        : value('net.bridge.bridge-nf-call-iptables') === '1'
          ? 'pass'
          : 'fail',
      sysctls.status === 'unknown'
        ? sysctls.reason
        : `net.bridge.bridge-nf-call-iptables = ${value('net.bridge.bridge-nf-call-iptables') ?? 'missing (br_netfilter not loaded)'}`,
      evidence,
    ),
  ];
}

/** The CNI config the container runtime picks (the first in lexical order) is Flannel's. */
export function cniFirstConfigChecks(view: FactView): Check[] {
  const target = view.target.name;
  const cni = view.parsed(target, PROBE.cniConfig);
  if (cni.status !== 'ok' || cni.value.files.length === 0) return [];
  const configs = cni.value.files.filter((f) => /\.(conf|conflist|json)$/.test(f));
  const first = configs[0];
  if (!first) return [];
  return [
    makeCheck(
      checkRef('cni-first-config', target),
      `the CNI config the runtime uses on ${target} is Flannel's`,
      /flannel/i.test(first) ? 'pass' : 'fail',
      `first config in lexical order: ${first}`,
      [view.evidence(target, PROBE.cniConfig, ['(lexical order; the runtime uses the first)', ...configs])],
    ),
  ];
}

/** cni0's address is the gateway of this node's Flannel subnet. */
export function cni0AddressChecks(view: FactView): Check[] {
  const target = view.target.name;
  const env = view.parsed(target, PROBE.subnetEnv);
  const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
  const addrs = view.parsed(target, PROBE.addresses);
  if (!subnet || addrs.status !== 'ok') return [];
  const cni0 = addrs.value.filter((a) => a.ifname === 'cni0');
  if (cni0.length === 0) return [];
  const expected = subnet.split('/')[0];
  const ok = cni0.every((a) => a.address === expected);
  return [
    makeCheck(
      checkRef('cni0-address', target),
      `cni0 address matches FLANNEL_SUBNET on ${target}`,
      ok ? 'pass' : 'fail',
      `cni0 ${cni0.map((a) => `${a.address}/${a.prefixlen}`).join(', ')}; FLANNEL_SUBNET=${subnet}`,
      [
        view.evidence(
          target,
          PROBE.addresses,
          cni0.map((a) => `cni0 inet ${a.address}/${a.prefixlen}`),
        ),
        view.evidence(target, PROBE.subnetEnv),
      ],
    ),
  ];
}
