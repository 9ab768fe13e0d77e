import { nodeHoldingAddress } from '../diagnosis/overlay-peer.js';
import { type KubeFacts, liveNodeList } from '../kube/kube-facts.js';
import type { NodeFacts } from '../probes/cluster-facts.js';
import type { Bystanders } from '../probes/collect-facts.js';
import { answered } from '../probes/probe-deadline.js';
import { PROBE, splitPeerProbeKey } from '../probes/probe-registry.js';

/**
 * Which of the target's peers, the control plane among them, a diagnosis probes.
 *
 * A peer's facts (its flannel.1, FDB, subnet.env and firewall; on the control plane, also what
 * listens on the API server's port) serve two purposes. They say what the cluster should look like
 * (which subnets, MACs and public-ips the target must know about) where the API server cannot; and
 * they explain the target's failed checks toward that peer (a firewall, a missing flannel.1 or FDB
 * entry on its side: diagnosis/rules/peer-side-rules.ts, the firewall's failed flows; the API
 * server not listening). The first is the API server's job whenever it answers now: its node list
 * carries every node's podCIDR, VtepMAC and public-ip, and answering at all says the control plane
 * serves it. The second needs only the peers the target's checks failed toward. So with a live
 * node list a peer is probed only when a check of the target toward it did not answer (toward the
 * control plane: the ping, and the HTTPS check of the API server); without one (no KUBECONFIG, the
 * API server down or not answering yet, a cached list only) every peer is, as are all of them when
 * the target's own evidence is missing (its SSH failed, or a failed overlay ping goes to a subnet
 * no node holds).
 *
 * On a cluster of many nodes a healthy node's diagnosis touches that node alone, not all of them;
 * on the lab, where every node shares the machine's CPUs, the other bundles were the largest part
 * of a diagnosis' cost.
 *
 * `kube`: what the API server said; undefined while it has not (or where the call failed).
 */
export function bystandersToProbe(
  target: NodeFacts,
  kube: KubeFacts | undefined,
  controlPlane: string,
): Bystanders {
  const list = liveNodeList(kube);
  if (!list || !target.connection.ok) return 'all';
  const nodes = new Set<string>();
  for (const output of Object.values(target.outputs)) {
    if (answered(output)) continue;
    if (output.probe === PROBE.pingControlPlane || output.probe === PROBE.httpsApiServer) {
      nodes.add(controlPlane);
      continue;
    }
    const split = splitPeerProbeKey(output.probe);
    if (!split) continue;
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
