import type { KubeNode } from '../kube/kube-facts.js';
import { PROBE } from '../probes/probe-registry.js';
import { cidrContains, parseCidr, parseIpv4 } from './cidr.js';
import type { FactView } from './fact-view.js';
import { kubeNodes } from './kube-nodes.js';

/** The peer whose flannel.1 carries `overlayAddress` (its FLANNEL_SUBNET network address). */
export function peerForOverlayAddress(view: FactView, overlayAddress: string): string | undefined {
  const ip = parseIpv4(overlayAddress);
  if (ip === undefined) return undefined;
  for (const node of Object.values(view.facts.nodes)) {
    if (node.name === view.facts.target) continue;
    const env = view.parsed(node.name, PROBE.subnetEnv);
    const subnet = env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined;
    const net = subnet ? parseCidr(subnet) : undefined;
    if (net && cidrContains(net, ip)) return node.name;
  }
  return nodeHoldingAddress(kubeNodes(view), overlayAddress)?.name;
}

/** The node of an API server's node list whose podCIDR holds `address` (an overlay gateway). */
export function nodeHoldingAddress(nodes: readonly KubeNode[], address: string): KubeNode | undefined {
  const ip = parseIpv4(address);
  if (ip === undefined) return undefined;
  return nodes.find((n) => {
    const net = n.podCIDR ? parseCidr(n.podCIDR) : undefined;
    return net ? cidrContains(net, ip) : false;
  });
}
