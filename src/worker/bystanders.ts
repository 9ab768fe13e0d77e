import { diagnose } from '../diagnosis/diagnose.js';
import { nodeHoldingAddress } from '../diagnosis/overlay-peer.js';
import { type KubeFacts, type KubeNode, knownNodeList } from '../kube/kube-facts.js';
import type { ClusterFacts, NodeFacts } from '../probes/cluster-facts.js';
import type { Bystanders } from '../probes/collect-nodes.js';
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
 * control plane: the ping, and the HTTPS check of the API server). Where the API server does not
 * answer now, or not yet (collect-nodes.ts), the control plane is (that is a failure toward it) and
 * the others are judged on the last list seen, the cluster's shape before the fault. With no list
 * at all (no KUBECONFIG, none ever seen) every peer is, as are all of them when the target's own
 * evidence is missing (its SSH failed, or a failed overlay ping goes to a subnet no node holds).
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
  const known = knownNodeList(kube);
  if (!known || !target.connection.ok) return 'all';
  // The API server not answering now is itself a failure toward the control plane.
  const nodes = new Set<string>(known.live ? [] : [controlPlane]);
  for (const check of checksToward(target, known.nodes, controlPlane)) {
    if (check.answered) continue;
    // An overlay ping to a subnet no node holds: nothing says which peer it concerns.
    if (check.node === undefined) return 'all';
    nodes.add(check.node);
  }
  return nodes;
}

/** One network check of the target: its kind, the node it goes toward, whether it was answered. */
interface CheckToward {
  /** The underlay ping (the control plane's too), the TCP check, the overlay pings, HTTPS. */
  readonly kind: 'ping' | 'tcp' | 'overlay' | 'https';
  /** Undefined for an overlay ping to a subnet no node on the list holds. */
  readonly node: string | undefined;
  readonly answered: boolean;
}

/**
 * The target's network checks toward other nodes, in its outputs' order; an overlay ping's node is
 * the one whose podCIDR holds its destination.
 */
function checksToward(target: NodeFacts, list: readonly KubeNode[], controlPlane: string): CheckToward[] {
  return Object.values(target.outputs).flatMap((output): CheckToward[] => {
    const ok = answered(output);
    if (output.probe === PROBE.pingControlPlane) return [{ kind: 'ping', node: controlPlane, answered: ok }];
    if (output.probe === PROBE.httpsApiServer) return [{ kind: 'https', node: controlPlane, answered: ok }];
    const split = splitPeerProbeKey(output.probe);
    if (!split) return [];
    if (split.kind === 'ping-node') return [{ kind: 'ping', node: split.peer, answered: ok }];
    if (split.kind === 'tcp-node') return [{ kind: 'tcp', node: split.peer, answered: ok }];
    return [{ kind: 'overlay', node: nodeHoldingAddress(list, split.peer)?.name, answered: ok }];
  });
}

/**
 * Of the peers the target's checks failed toward, those to hold back until the target's own facts
 * are in: every check that failed toward them is of a kind (the underlay ping, the TCP check, the
 * overlay pings) that failed toward every node it ran toward, two at least. A failure everywhere
 * points at the target (VXLAN or ICMP dropped by its own firewall, its flannel.1 wrong), and the
 * target's facts, in a few tens of ms, usually decide it (decidedByTarget): then no peer is
 * probed at all, where starting them at once would open a connection and run a bundle on every
 * node of the cluster. Where those facts do not decide, the peers are started then. A peer any
 * other failure calls for (the HTTPS check, the API server silent, a check that failed toward it
 * alone) starts at once, as before.
 */
export function heldBack(
  target: NodeFacts,
  kube: KubeFacts | undefined,
  controlPlane: string,
): ReadonlySet<string> {
  const known = knownNodeList(kube);
  if (!known?.live || !target.connection.ok) return new Set();
  const checks = checksToward(target, known.nodes, controlPlane);
  if (checks.some((c) => c.node === undefined)) return new Set();
  // Per kind, the nodes it ran toward and those it failed toward; per node, the kinds that failed.
  const ran = new Map<string, Set<string>>();
  const failed = new Map<string, Set<string>>();
  const why = new Map<string, Set<string>>();
  const note = (map: Map<string, Set<string>>, key: string, value: string) =>
    map.set(key, (map.get(key) ?? new Set()).add(value));
  for (const { kind, node, answered: ok } of checks) {
    note(ran, kind, node!);
    if (ok) continue;
    note(failed, kind, node!);
    note(why, node!, kind);
  }
  const everywhere = (kind: string) => {
    const n = failed.get(kind)?.size ?? 0;
    return n >= 2 && n === ran.get(kind)?.size;
  };
  return new Set([...why].filter(([, kinds]) => [...kinds].every(everywhere)).map(([peer]) => peer));
}

/**
 * Whether the target's own facts decide its diagnosis, so that the peers its checks failed toward
 * need not be waited for: there is a root cause, every one is on the target itself and sure (high
 * confidence), and no failed check is left unexplained. VXLAN dropped by the target's own firewall,
 * or its flannel.1 on the wrong address, fails its overlay pings toward every peer; a peer's
 * firewall or flannel.1 cannot change that cause, and the packets never reach the peer to show
 * another. Anything less (a cause on a peer, a guess, a failure nothing on the target explains)
 * waits for the peers, as before. A second fault on a peer behind the target's own shows once
 * the first is fixed: then the target's checks toward that peer still fail, with nothing on the
 * target to explain them, and the peer is probed.
 */
export function decidedByTarget(facts: ClusterFacts): boolean {
  const report = diagnose(facts);
  return (
    report.unexplained.length === 0 &&
    report.rootCauses.length > 0 &&
    report.rootCauses.every((c) => c.node === facts.target && c.confidence === 'high')
  );
}
