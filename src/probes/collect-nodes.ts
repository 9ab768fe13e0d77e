import { type KubeFacts, knownNodeList } from '../kube/kube-facts.js';
import type { ClusterFacts, NodeFacts } from './cluster-facts.js';
import type { NodePlan } from './node-plan.js';

/** Every peer of the target (the control plane included), or these (by name). */
export type Bystanders = 'all' | ReadonlySet<string>;

/** Per target, what its last diagnosis learnt about its peers (collectNodes). */
export interface PeerMemory {
  /** The peers it needed: the next diagnosis starts them at once, beside the target. */
  readonly needed: Bystanders;
  /**
   * Peers its checks failed toward whose failures the target's own facts explained: the next
   * diagnosis waits for the target's facts again before it starts them (and starts them only if
   * those facts no longer decide).
   */
  readonly deferred: ReadonlySet<string>;
}

/** How the peers of one diagnosis are chosen (CollectDeps in collect-facts.ts). */
export interface PeerChoice {
  /**
   * Which peers the target's network probes call for (its checks failed toward them), judged on
   * what the API server said if it has (worker/bystanders.ts). 'all' where nothing can say.
   */
  readonly candidates: (target: NodeFacts, kube: KubeFacts | undefined, controlPlane: string) => Bystanders;
  /**
   * Whether the target's own facts (with what the API server said, and any peer already in) decide
   * the diagnosis: every failed check explained by a cause on the target itself. The candidates'
   * facts are then not waited for. Without it they always are.
   */
  readonly decidedByTarget?: (facts: ClusterFacts) => boolean;
  /**
   * Of the candidates, those whose failures point at the target itself (they failed toward every
   * peer): started only once the target's facts are in, and only if those do not decide
   * (worker/bystanders.ts). Without it every candidate starts when the network probes are in.
   */
  readonly heldBack?: (
    target: NodeFacts,
    kube: KubeFacts | undefined,
    controlPlane: string,
  ) => ReadonlySet<string>;
  readonly memory?: Map<string, PeerMemory>;
  /**
   * What the API server said last, as it reads where it cannot be asked (the last node list seen,
   * with no live one): the peers are judged on it where the API server has not answered by the
   * time the target's network probes are in. Without it, or where no list was ever seen, every
   * peer is probed then.
   */
  readonly lastSeen?: () => Promise<KubeFacts | undefined>;
}

interface NodeRuns {
  /** Runs one node's plan; `onNetwork` is told the node's network probes as soon as they are in. */
  readonly run: (plan: NodePlan, onNetwork?: (facts: NodeFacts) => void) => Promise<NodeFacts>;
  /** The cluster's facts from these nodes' and the API server's, for decidedByTarget. */
  readonly partial: (nodes: readonly NodeFacts[], kube: KubeFacts) => ClusterFacts;
}

/**
 * The target at once; its peers, the control plane among them, as the evidence calls for them.
 *
 * - With no node list to judge by (none configured, or the API server not answering and none seen
 *   before), or the target unreachable: every peer, at once.
 * - Otherwise the peers the target's checks failed toward (`candidates`, judged on the API
 *   server's list, or on the last one seen where it does not answer now or has not yet), started
 *   as soon as the target's network probes are in, while its local reads (the firewall dumps) still
 *   run. Judged on the last list seen, the control plane is among them; if the API server answers
 *   before the target's facts are all in, they are judged again on what it said, and a peer no
 *   longer called for is not waited for. Those whose failures point at the target (`heldBack`: a
 *   check failed toward every node) wait for the target's facts, as below.
 * - Once the target's facts are all in, if they decide the diagnosis on their own (a cause on the
 *   target explains every failed check: VXLAN dropped by its own firewall, its own flannel.1 wrong),
 *   the report does not wait for those peers: their facts could not change the cause. Whichever
 *   have already answered are kept, as evidence like any other.
 * - A target's last diagnosis (`memory`) starts at once the peers it needed, and holds back until
 *   the target's facts are in those the target explained itself: a fault outlives one look.
 *
 * Without a PeerChoice, every peer at once, all waited for.
 */
export async function collectNodes(
  runs: NodeRuns,
  plans: readonly NodePlan[],
  controlPlane: string,
  kubeFacts: Promise<KubeFacts>,
  choice?: PeerChoice,
): Promise<NodeFacts[]> {
  const [targetPlan, ...peers] = plans;
  if (!targetPlan) return [];
  // The target's network probes as soon as they are in (a run joined from another diagnosis says
  // nothing early): what its checks failed toward is known before its local reads are.
  let early: (facts: NodeFacts) => void = () => undefined;
  const networkIn = new Promise<NodeFacts>((resolve) => {
    early = resolve;
  });
  const targetRun = runs.run(targetPlan, choice && early);
  if (!choice) return inPlanOrder(plans, await Promise.all([targetRun, ...peers.map((p) => runs.run(p))]));
  const looked = Promise.race([networkIn, targetRun]);
  // What the API server said (undefined where the call itself failed), once it has settled.
  let kube: KubeFacts | undefined;
  let settled = false;
  const kubeSettled = kubeFacts
    .then(
      (k) => {
        kube = k;
      },
      () => undefined,
    )
    .finally(() => {
      settled = true;
    });
  const started = new Map<string, PeerRun>();
  const start = (chosen: Bystanders) => {
    for (const p of peers) {
      if ((chosen !== 'all' && !chosen.has(p.node.name)) || started.has(p.node.name)) continue;
      const entry: PeerRun = { facts: runs.run(p) };
      entry.facts.then((f) => {
        entry.done = f;
      }, noop);
      started.set(p.node.name, entry);
    }
  };
  const name = targetPlan.node.name;
  const last = choice.memory?.get(name);
  if (last) start(last.needed);
  await Promise.race([looked, kubeSettled]);
  const answeredEarly = settled;
  // What the target's network probes failed toward, judged on the API server's node list if it
  // has answered (or been given up on) by then, else on the last list seen, as where it does not
  // answer (the control plane is then a candidate too). No node list at all: every peer, now.
  const judgedBy = answeredEarly ? kube : await choice.lastSeen?.().catch(() => undefined);
  const network = await looked;
  let candidates: Bystanders = knownNodeList(judgedBy)
    ? choice.candidates(network, judgedBy, controlPlane)
    : 'all';
  const held = candidates === 'all' ? undefined : choice.heldBack?.(network, judgedBy, controlPlane);
  start(candidates === 'all' ? 'all' : without(without(candidates, last?.deferred), held));
  const target = await targetRun;
  // The API server has answered since: judged again on what it said, with all the target's facts.
  if (!answeredEarly && settled)
    candidates = knownNodeList(kube) ? choice.candidates(target, kube, controlPlane) : 'all';
  const known = settled ? knownNodeList(kube) : undefined;
  let needed = candidates;
  let deferred: ReadonlySet<string> = new Set();
  // Only on a live list: a cached one is the cluster before the fault, not evidence that decides.
  if (candidates !== 'all' && candidates.size > 0 && known?.live && kube && choice.decidedByTarget) {
    const inAlready = [...started.values()].flatMap((s) => (s.done ? [s.done] : []));
    if (choice.decidedByTarget(runs.partial([target, ...inAlready], kube))) {
      needed = new Set();
      deferred = candidates;
    }
  }
  start(needed);
  choice.memory?.set(name, { needed, deferred });
  // Waited for: the peers needed, and those the last diagnosis did (started at once, in by now).
  const wanted = (peer: string, b: Bystanders | undefined) => b === 'all' || !!b?.has(peer);
  const waited = [...started].filter(([peer]) => wanted(peer, needed) || wanted(peer, last?.needed));
  const neededFacts = await Promise.all(waited.map(([, s]) => s.facts));
  const others = [...started]
    .filter(([peer]) => !waited.some(([w]) => w === peer))
    .flatMap(([, s]) => (s.done ? [s.done] : []));
  return inPlanOrder(plans, [target, ...neededFacts, ...others]);
}

/** A peer's run, and its facts once they are in. */
interface PeerRun {
  readonly facts: Promise<NodeFacts>;
  done?: NodeFacts;
}

const noop = () => undefined;

const without = (set: ReadonlySet<string>, drop: ReadonlySet<string> | undefined): ReadonlySet<string> =>
  drop ? new Set([...set].filter((n) => !drop.has(n))) : set;

/** In the plan's order (the target, then the inventory's), which is the order a report lists them. */
const inPlanOrder = (plans: readonly NodePlan[], facts: readonly NodeFacts[]): NodeFacts[] =>
  plans.flatMap((p) => facts.filter((f) => f.name === p.node.name));
