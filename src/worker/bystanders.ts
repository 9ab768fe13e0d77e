import { nodeHoldingAddress } from '../diagnosis/overlay-peer.js';
import { type KubeFacts, liveNodeList } from '../kube/kube-facts.js';
import type { NodeFacts } from '../probes/cluster-facts.js';
import type { Bystanders } from '../probes/collect-facts.js';
import { answered } from '../probes/probe-deadline.js';
import { splitPeerProbeKey } from '../probes/probe-registry.js';

/**
 * Which of the target's peers other than the control plane (its "bystanders") a diagnosis probes.
 *
 * A bystander's facts (its flannel.1, FDB, subnet.env and firewall) serve two purposes. They say
 * what the cluster should look like (which subnets, MACs and public-ips the target must know about)
 * where the API server cannot; and they explain the target's failed checks toward that peer (a
 * firewall, a missing flannel.1 or FDB entry on its side: diagnosis/rules/peer-side-rules.ts, the
 * firewall's failed flows). The first is the API server's job whenever it answers now: its node
 * list carries every node's podCIDR, VtepMAC and public-ip. The second needs only the peers the
 * target's checks failed toward. So with a live node list a bystander is probed only when a check
 * of the target toward it did not answer; without one (no KUBECONFIG, the API server down or not
 * answering yet, a cached list only) every bystander is, as are all of them when the target's own
 * evidence is missing (its SSH failed, or a failed overlay ping goes to a subnet no node holds).
 *
 * On a cluster of many nodes a healthy node's diagnosis touches two nodes, not all of them; on the
 * lab, where every node shares the machine's CPUs, it is the largest part of a diagnosis' cost.
 *
 * `kube`: what the API server said; undefined while it has not (or where the call failed).
 */
export function bystandersToProbe(target: NodeFacts, kube: KubeFacts | undefined): Bystanders {
  const list = liveNodeList(kube);
  if (!list || !target.connection.ok) return 'all';
  const nodes = new Set<string>();
  for (const output of Object.values(target.outputs)) {
    const split = splitPeerProbeKey(output.probe);
    if (!split || answered(output)) continue;
    if (split.kind === 'ping-node' || split.kind === 'tcp-node') {
      nodes.add(split.peer);
      continue;
    }
    // An overlay ping: its destination is a pod subnet's gateway, whose node the list names.
    const owner = nodeHoldingAddress(list, split.peer);
    if (!owner) return 'all';
    nodes.add(owner.name);
  }
  return nodes;
}
