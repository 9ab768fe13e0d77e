import { PROBE } from '../../probes/probe-registry.js';
import { catalogEntry } from '../catalog.js';
import { checkKey, checkRef } from '../check-id.js';
import { flannel1Addresses, uplinkOf, vxlanChecksumFacts } from '../checks/host-network-checks.js';
import type { Evidence } from '../evidence.js';
import { flannelLogLines } from './flannel-log-lines.js';
import type { Rule } from './rule.js';

const NO_VALID_INTERFACE = /Failed to find any valid interface to use|Unable to find default route/i;

/**
 * No default route: decisive with Flannel's own "Failed to find any valid interface" line, likely
 * while Flannel is not up, and only a low-confidence warning while it is (then it was given --iface,
 * though kubelet and kubeadm still pick the node IP from the default route). Report only: which
 * gateway is right is not something a node can tell.
 */
export const noDefaultRouteRule: Rule = {
  id: 'no-default-route',
  evaluate(view, checks) {
    const target = view.target.name;
    const failed = checks.get(checkRef('default-route', target));
    if (failed?.status !== 'fail') return [];
    const log = flannelLogLines(view, NO_VALID_INTERFACE);
    const flannelDown =
      checks.failed(checkRef('flannel-link', target)) || checks.failed(checkRef('subnet-env', target));
    const uplink = uplinkOf(view, target)?.ifname ?? '<uplink>';
    const how = `restore it (\`ip route add default via <gateway> dev ${uplink}\`, persisted in the node's network config) or start Flannel with \`--iface=${uplink}\``;
    return [
      {
        id: 'no-default-route',
        node: target,
        cause: log
          ? `${target} has no default route, so Flannel cannot find an interface to use ("Failed to find any valid interface") and does not start: ${how}.`
          : flannelDown
            ? `${target} has no default route, and Flannel is not up on it; without --iface Flannel cannot pick an interface: ${how}.`
            : `${target} has no default route; Flannel is up (so it was given --iface), but kubelet and kubeadm pick the node IP from the default route: ${how}.`,
        evidence: [...failed.evidence, ...(log ? [log] : [])],
        confidence: log ? 'high' : flannelDown ? 'medium' : 'low',
        explainsChecks: [
          checkKey(failed),
          ...(log || flannelDown
            ? [checkRef('flannel-link', target).key, checkRef('subnet-env', target).key]
            : []),
        ],
        explainsFindings: log || flannelDown ? ['flannel1-missing', 'subnet-env-missing'] : [],
        fix: catalogEntry('no-default-route').fix,
      },
    ];
  },
};

/** flannel.1 holds an address Flannel did not give it: Flannel refuses the link and exits. */
export const flannel1StaleAddressRule: Rule = {
  id: 'flannel1-stale-address',
  evaluate(view, checks) {
    const target = view.target.name;
    const failed = checks.get(checkRef('flannel1-addresses', target));
    const a = flannel1Addresses(view);
    if (failed?.status !== 'fail' || !a) return [];
    const log = flannelLogLines(view, /incompatible addresses/i);
    const linkLocal = a.extras.some((x) => x.startsWith('169.254.'));
    return [
      {
        id: 'flannel1-stale-address',
        node: target,
        cause: `flannel.1 on ${target} carries ${a.extras.join(', ')} besides ${a.expected ? `its subnet's ${a.expected}` : "Flannel's own address"}${linkLocal ? ' (a link-local address, as dhcpcd or avahi-autoipd add)' : ''}, so Flannel refuses to configure it ("link has incompatible addresses") and exits.`,
        evidence: [...failed.evidence, ...(log ? [log] : [])],
        confidence: 'high',
        explainsChecks: [checkKey(failed)],
        explainsFindings: ['subnet-env-missing'],
        fix: catalogEntry('flannel1-stale-address').fix,
        remedy: {
          kind: 'remove-link-addresses',
          node: target,
          device: 'flannel.1',
          addresses: a.extras.filter((x) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(x)),
          keep: a.expected && a.all.includes(a.expected) ? a.expected : undefined,
        },
      },
    ];
  },
};

/** NetworkManager manages cni0/flannel*: it removes the addresses and routes the CNI set. */
export const networkManagerInterferenceRule: Rule = {
  id: 'network-manager-interference',
  evaluate(view, checks) {
    const target = view.target.name;
    const failed = checks.get(checkRef('network-manager', target));
    if (failed?.status !== 'fail') return [];
    const nm = view.parsed(target, PROBE.networkManager);
    const devices =
      nm.status === 'ok' && nm.value.applicable
        ? nm.value.devices
            .filter((d) => d.managed && (d.device === 'cni0' || d.device.startsWith('flannel')))
            .map((d) => d.device)
        : [];
    // cni0 without its address: NetworkManager took it; it is the gateway of the node's Flannel subnet.
    const addrs = view.parsed(target, PROBE.addresses);
    const env = view.parsed(target, PROBE.subnetEnv);
    const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
    const cni0Bare =
      addrs.status === 'ok' && devices.includes('cni0') && !addrs.value.some((x) => x.ifname === 'cni0');
    const evidence: Evidence[] = [...failed.evidence];
    if (cni0Bare)
      evidence.push(
        view.evidence(target, PROBE.addresses, ['cni0: no IPv4 address'], 'NetworkManager removed it'),
      );
    return [
      {
        id: 'network-manager-interference',
        node: target,
        cause: `NetworkManager manages ${devices.join(', ')} on ${target} (${failed.detail}), so it removes the addresses and routes the CNI and Flannel set${cni0Bare ? ' (cni0 has already lost its address)' : ''}.`,
        evidence,
        confidence: 'high',
        explainsChecks: [checkKey(failed)],
        explainsFindings: [],
        fix: catalogEntry('network-manager-interference').fix,
        remedy: {
          kind: 'network-manager-unmanage',
          node: target,
          devices,
          cni0Address:
            cni0Bare && subnet && /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(subnet) ? subnet : undefined,
        },
      },
    ];
  },
};

/** Bad VXLAN checksums in the kernel log with tx checksum offload on flannel.1. */
export const vxlanChecksumOffloadRule: Rule = {
  id: 'vxlan-checksum-offload',
  evaluate(view, checks) {
    const target = view.target.name;
    const failed = checks.get(checkRef('vxlan-checksum', target));
    const facts = vxlanChecksumFacts(view);
    if (failed?.status !== 'fail' || !facts) return [];
    return [
      {
        id: 'vxlan-checksum-offload',
        node: target,
        cause:
          facts.confidence === 'low'
            ? `flannel.1 on ${target} has tx checksum offload on, on a kernel that may have the VXLAN checksum bug (${failed.detail}): if Service IPs and DNS time out while pod IPs work, this is why.`
            : `flannel.1 on ${target} sends VXLAN packets with bad checksums (${failed.detail}): pod IPs work, but Service IPs and DNS (SNATed by kube-proxy) time out.`,
        evidence: failed.evidence,
        confidence: facts.confidence,
        explainsChecks: [checkKey(failed)],
        explainsFindings: [],
        fix: catalogEntry('vxlan-checksum-offload').fix,
        remedy:
          facts.offloadOn === true
            ? { kind: 'disable-tx-checksum', node: target, device: 'flannel.1' }
            : undefined,
      },
    ];
  },
};
