import { PROBE } from '../probes/probe-registry.js';
import { formatCidr, parseCidr } from './cidr.js';
import type { FactView } from './fact-view.js';
import { kubeNodes } from './kube-nodes.js';

/** A peer whose overlay entries the target must hold, as Flannel would add them. */
export interface ExpectedPeer {
  readonly name: string;
  /** The peer's pod subnet, e.g. 10.244.2.0/24: the route's destination. */
  readonly subnet: string;
  /** Its network address (10.244.2.0): the route's gateway and the neighbour entry's address. */
  readonly overlayAddress: string;
  /** Its VTEP MAC (annotation, else its flannel.1), when known. */
  readonly mac: string | undefined;
  /** The underlay address its VXLAN traffic goes to (public-ip annotation, else its inventory address). */
  readonly dst: string | undefined;
  readonly source: 'api' | 'subnet.env';
}

const networkOf = (cidr: string | undefined) => {
  const net = cidr ? parseCidr(cidr) : undefined;
  return net ? formatCidr(net) : undefined;
};

/**
 * The peers Flannel on the target should have entries for: from the API's node list (podCIDR,
 * VtepMAC and public-ip annotations) when there is one, live or cached; otherwise from each probed
 * peer's own subnet.env and flannel.1. A peer whose subnet cannot be known is left out, not guessed.
 */
export function expectedPeers(view: FactView): ExpectedPeer[] {
  const target = view.target.name;
  const fromApi = kubeNodes(view).flatMap((n): ExpectedPeer[] => {
    const subnet = networkOf(n.podCIDR);
    if (n.name === target || !subnet) return [];
    const dst = n.publicIp ?? n.internalIP ?? view.facts.inventory.find((i) => i.name === n.name)?.host;
    return [
      {
        name: n.name,
        subnet,
        overlayAddress: subnet.split('/')[0]!,
        mac: n.vtepMac?.toLowerCase(),
        dst,
        source: 'api',
      },
    ];
  });
  if (fromApi.length > 0) return fromApi;
  return Object.values(view.facts.nodes).flatMap((node): ExpectedPeer[] => {
    if (node.name === target) return [];
    const env = view.parsed(node.name, PROBE.subnetEnv);
    const subnet = networkOf(
      env.status === 'ok' && env.value.present ? env.value.values.FLANNEL_SUBNET : undefined,
    );
    if (!subnet) return [];
    const link = view.parsed(node.name, PROBE.flannelLink);
    const mac = link.status === 'ok' && link.value.exists ? link.value.mac?.toLowerCase() : undefined;
    return [
      {
        name: node.name,
        subnet,
        overlayAddress: subnet.split('/')[0]!,
        mac,
        dst: node.host,
        source: 'subnet.env',
      },
    ];
  });
}
