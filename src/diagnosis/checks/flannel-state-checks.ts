import { PROBE } from '../../probes/probe-registry.js';
import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import { cidrContains, parseCidr } from '../cidr.js';
import type { FactView } from '../fact-view.js';
import { kubeNodes } from '../kube-nodes.js';

/** Flannel's state on the target: its VXLAN device, its CNI config, its lease file. */
export function flannelStateChecks(view: FactView): Check[] {
  const target = view.target.name;
  const link = view.parsed(target, PROBE.flannelLink);
  const cni = view.parsed(target, PROBE.cniConfig);
  const flannelConf =
    cni.status === 'ok'
      ? cni.value.files.find((f) => /flannel/i.test(f) && /\.conflist$/.test(f))
      : undefined;
  const env = view.parsed(target, PROBE.subnetEnv);
  return [
    makeCheck(
      checkRef('flannel-link', target),
      `flannel.1 VXLAN device on ${target}`,
      link.status === 'unknown' ? 'unknown' : link.value.exists ? 'pass' : 'fail',
      link.status === 'unknown'
        ? link.reason
        : link.value.exists
          ? `present (${link.value.kind ?? 'unknown kind'}, mtu ${link.value.mtu ?? '?'})`
          : 'flannel.1 does not exist',
      [view.evidence(target, PROBE.flannelLink)],
    ),
    makeCheck(
      checkRef('cni-config', target),
      `Flannel CNI config on ${target}`,
      cni.status === 'unknown' ? 'unknown' : flannelConf ? 'pass' : 'fail',
      cni.status === 'unknown'
        ? cni.reason
        : !cni.value.exists
          ? '/etc/cni/net.d does not exist'
          : flannelConf
            ? flannelConf
            : `no *flannel*.conflist in /etc/cni/net.d (${cni.value.files.length === 0 ? 'empty' : cni.value.files.join(', ')})`,
      [view.evidence(target, PROBE.cniConfig)],
    ),
    makeCheck(
      checkRef('subnet-env', target),
      `/run/flannel/subnet.env on ${target}`,
      env.status === 'unknown' ? 'unknown' : env.value.present ? 'pass' : 'fail',
      env.status === 'unknown'
        ? env.reason
        : env.value.present
          ? `FLANNEL_SUBNET=${env.value.values.FLANNEL_SUBNET ?? '?'}`
          : 'file is missing',
      [view.evidence(target, PROBE.subnetEnv)],
    ),
  ];
}

/** The node's podCIDR (from the API, or its last known value) and whether Flannel's network holds it. */
export function podCidrChecks(view: FactView): Check[] {
  const checks: Check[] = [];
  const target = view.target.name;
  const kube = view.facts.kube;
  const env = view.parsed(target, PROBE.subnetEnv);
  const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
  const network = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_NETWORK : undefined;
  const kubeNode = kubeNodes(view).find((n) => n.name === target);
  if (kubeNode) {
    checks.push(
      makeCheck(
        checkRef('podcidr-assigned', target),
        `${target} has a podCIDR`,
        kubeNode.podCIDR ? 'pass' : 'fail',
        kubeNode.podCIDR ? `spec.podCIDR ${kubeNode.podCIDR}` : 'spec.podCIDR is empty',
        [
          {
            node: target,
            command: `kubectl get node ${target} -o jsonpath='{.spec.podCIDR}'${kube.status === 'unreachable' ? ' (last known, API unreachable)' : ''}`,
            lines: [kubeNode.podCIDR ?? '(empty)'],
          },
        ],
      ),
    );
  }
  const netconf = network ?? (kube.status === 'reachable' ? kube.netConfNetwork : undefined);
  const nodeNet = kubeNode?.podCIDR ?? subnet;
  if (netconf && nodeNet) {
    const net = parseCidr(netconf);
    const sub = parseCidr(nodeNet);
    const contained = !!net && !!sub && sub.prefix >= net.prefix && cidrContains(net, sub.base);
    checks.push(
      makeCheck(
        checkRef('netconf-contains-subnet', target),
        `Flannel's network contains ${target}'s subnet`,
        contained ? 'pass' : 'fail',
        `Network ${netconf}; node subnet ${nodeNet}`,
        [view.evidence(target, PROBE.subnetEnv)],
      ),
    );
  }
  return checks;
}
