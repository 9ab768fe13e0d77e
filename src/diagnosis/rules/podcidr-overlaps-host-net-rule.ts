import { PROBE } from '../../probes/probe-registry.js';
import { catalogEntry } from '../catalog.js';
import { type CheckKind, checkKey } from '../check-id.js';
import { cidrContains, cidrsOverlap, formatCidr, parseCidr, parseIpv4 } from '../cidr.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import { OVERLAY_DEVICES } from '../overlay-devices.js';
import type { Rule } from './rule.js';

/** A hijacked host route breaks nearly everything on the node: these failures are its symptoms. */
const CONSEQUENCES: ReadonlySet<CheckKind> = new Set<CheckKind>([
  'ping-control-plane',
  'tcp-apiserver',
  'https-apiserver',
  'route-control-plane',
  'cni0-address',
  'netconf-contains-subnet',
  'underlay-ping',
  'underlay-tcp',
  'overlay-ping',
  'overlay-df-ping',
]);

/**
 * The pod network overlaps the node network: overlay routes capture host traffic. Decisive when the
 * kernel routes the control plane's address into flannel.1/cni0; also reported when the configured
 * networks overlap before any traffic is hijacked.
 */
export const podcidrOverlapsHostNetRule: Rule = {
  id: 'podcidr-overlaps-host-net',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const evidence: Evidence[] = [];
    let hijacked = false;

    const route = view.parsed(target, PROBE.routeControlPlane);
    if (route.status === 'ok' && OVERLAY_DEVICES.has(route.value.dev ?? '')) {
      hijacked = true;
      evidence.push(
        view.evidence(
          target,
          PROBE.routeControlPlane,
          undefined,
          `traffic to ${cp} leaves through the overlay device ${route.value.dev}`,
        ),
      );
    }

    const overlaps: string[] = [];
    const env = view.parsed(target, PROBE.subnetEnv);
    const flannelNetwork =
      env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_NETWORK : undefined;
    const podNets = [flannelNetwork, view.facts.podNetworkCidr].filter((n): n is string => !!n);
    const hostAddresses = view.parsed(target, PROBE.addresses);
    for (const podNetText of new Set(podNets)) {
      const podNet = parseCidr(podNetText);
      if (!podNet) continue;
      if (hostAddresses.status === 'ok') {
        for (const a of hostAddresses.value) {
          if (OVERLAY_DEVICES.has(a.ifname) || a.ifname === 'lo' || a.ifname.startsWith('veth')) continue;
          const hostNet = parseCidr(`${a.address}/${a.prefixlen}`);
          if (hostNet && cidrsOverlap(podNet, hostNet)) {
            overlaps.push(
              `pod network ${podNetText} overlaps ${a.ifname} ${a.address}/${a.prefixlen} (${formatCidr(hostNet)})`,
            );
          }
        }
      }
      for (const node of Object.values(view.facts.nodes)) {
        const ip = parseIpv4(node.host);
        if (ip !== undefined && cidrContains(podNet, ip))
          overlaps.push(`pod network ${podNetText} contains ${node.name}'s address ${node.host}`);
      }
    }
    if (!hijacked && overlaps.length === 0) return [];
    if (flannelNetwork)
      evidence.push(view.evidence(target, PROBE.subnetEnv, undefined, 'the Flannel network on this node'));
    if (overlaps.length > 0) {
      evidence.push({
        node: target,
        command: 'overlap check (pod network vs node addresses)',
        lines: [...new Set(overlaps)],
      });
    }
    const explainsChecks = checks.all
      .filter((c) => c.node === target && c.status === 'fail' && CONSEQUENCES.has(c.kind))
      .map(checkKey);
    return [
      {
        id: 'podcidr-overlaps-host-net',
        node: target,
        cause: hijacked
          ? `The pod network overlaps the node network, so ${target} routes traffic for ${cp} into ${route.status === 'ok' ? route.value.dev : 'the overlay'} instead of the host network.`
          : `The pod network overlaps the node network on ${target}; overlay routes can capture host traffic.`,
        evidence,
        confidence: hijacked ? 'high' : 'medium',
        explainsChecks,
        explainsFindings: [
          'icmp-blocked',
          'apiserver-port-blocked',
          'stale-cni0-bridge',
          'podcidr-netconf-mismatch',
          'vxlan-8472-blocked',
        ],
        fix: catalogEntry('podcidr-overlaps-host-net').fix,
        // A worker can be reset and rejoined; the control plane needs a re-init, which is not offered as a button yet.
        remedy:
          view.target.role === 'worker' && cp !== target
            ? { kind: 'reset-worker', node: target, controlPlane: cp, uplink: uplinkOf(view, target) }
            : undefined,
      },
    ];
  },
};

/** The interface that holds the node's own address: its connected route is what the overlay hijacked. */
function uplinkOf(
  view: FactView,
  node: string,
): { iface: string; address: string; prefixlen: number } | undefined {
  const host = view.node(node)?.host;
  const addrs = view.parsed(node, PROBE.addresses);
  const a = addrs.status === 'ok' ? addrs.value.find((x) => x.address === host) : undefined;
  return a ? { iface: a.ifname, address: a.address, prefixlen: a.prefixlen } : undefined;
}
