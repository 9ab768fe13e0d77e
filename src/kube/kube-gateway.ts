import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import type { SharedRuns } from '../core/shared-runs.js';
import { coreClient, kubeCall, kubeRead } from './kube-client.js';
import type { KubeFacts, KubeFlannelPod, KubeNode } from './kube-facts.js';

export interface NodeListCache {
  save(nodes: readonly KubeNode[], fetchedAt: string): Promise<void>;
  load(): Promise<{ nodes: KubeNode[]; fetchedAt: string } | undefined>;
}

const FLANNEL_NAMESPACES = ['kube-flannel', 'kube-system'];

/**
 * A narrow, read-only gateway over @kubernetes/client-node. Every call has a deadline: the client
 * has none by default, and a hung API server is exactly the situation netcheck is used in.
 */
export class KubeGateway {
  /** For the node list: a new connection per call (kube-client.ts). */
  private readonly core: CoreV1Api;
  /** For the calls once the API server has answered: connections kept between them. */
  private readonly reads: CoreV1Api;
  private lastNodeListMs: number | undefined;

  constructor(
    kubeconfigPath: string,
    private readonly cache: NodeListCache,
    private readonly timeoutMs: number,
    private readonly isoNow: () => string,
    /** Times the node list call, the evidence of the API server's round trip (probes/probe-deadline.ts). */
    private readonly monotonicMs?: () => number,
  ) {
    this.core = coreClient(kubeconfigPath);
    this.reads = coreClient(kubeconfigPath, { reuseConnections: true });
  }

  /** How long the last successful node list call took (ms), if timed. */
  nodeListMs(): number | undefined {
    return this.lastNodeListMs;
  }

  private deadline<T>(what: string, call: Promise<T>): Promise<T> {
    return kubeCall(what, this.timeoutMs, call);
  }

  /** A read on a kept connection, made again if that connection was closed underneath it. */
  private read<T>(what: string, call: (core: CoreV1Api) => Promise<T>): Promise<T> {
    return kubeRead(what, this.timeoutMs, () => call(this.reads));
  }

  /**
   * `giveUp`, when it settles first, ends the wait for the first call (the node list) early, with
   * its value as the reason: the caller has evidence that an answer would have come by now. Once
   * the API server answered that call, the rest waits its normal deadline.
   */
  async fetch(
    targetNode: string,
    giveUp?: Promise<string>,
    shared?: SharedRuns<unknown>,
  ): Promise<KubeFacts> {
    // With `shared`, each call joins the same call of other diagnoses made at most a window ago
    // (core/shared-runs.ts): fifty commands during an incident ask a struggling API server a few
    // times, not two hundred. Each caller still gives up on its own evidence.
    const once = <T>(key: string, call: () => Promise<T>): Promise<T> =>
      shared ? (shared.run(key, call) as Promise<T>) : call();
    let nodes: KubeNode[];
    try {
      const call = once('nodes', () => this.listNodesTimed());
      const first = giveUp
        ? Promise.race([
            call,
            giveUp.then((why) => {
              throw new Error(why);
            }),
          ])
        : call;
      nodes = await first;
    } catch (error) {
      return { status: 'unreachable', error: describe(error), cached: await this.cache.load() };
    }
    const [netConfNetwork, pods] = await Promise.all([
      once('net-conf', () => this.netConf()),
      once('flannel-pods', () => this.flannelPods()),
    ]);
    const podOnTarget = pods.find((p) => p.pod.node === targetNode);
    const flannelLog = podOnTarget
      ? await once(`log ${podOnTarget.namespace}/${podOnTarget.pod.name}`, () =>
          this.podLog(podOnTarget.namespace, podOnTarget.pod.name),
        )
      : [];
    return { status: 'reachable', nodes, netConfNetwork, flannelPods: pods.map((p) => p.pod), flannelLog };
  }

  /**
   * The last node list seen, as fetch gives it where the API server cannot be asked (undefined
   * where none was ever seen): for judging the peers to probe before the API server has answered.
   */
  async lastSeen(): Promise<KubeFacts | undefined> {
    const cached = await this.cache.load();
    return cached && { status: 'unreachable', error: 'the API server has not answered yet', cached };
  }

  /** The node list, timed (the API server's round trip) and saved as the last list seen. */
  private async listNodesTimed(): Promise<KubeNode[]> {
    const started = this.monotonicMs?.();
    const list = await this.deadline('GET /api/v1/nodes', this.core.listNode());
    if (started !== undefined && this.monotonicMs) this.lastNodeListMs = this.monotonicMs() - started;
    const nodes = list.items.map(toKubeNode);
    await this.cache.save(nodes, this.isoNow());
    return nodes;
  }

  /**
   * The node list alone (for the mesh: every node's podCIDR), from the API or, when it cannot be
   * asked, the last list seen; undefined when there is neither.
   */
  async listNodes(): Promise<{ nodes: readonly KubeNode[]; from: 'api' | 'cache' } | undefined> {
    try {
      const list = await this.deadline('GET /api/v1/nodes', this.core.listNode());
      const nodes = list.items.map(toKubeNode);
      await this.cache.save(nodes, this.isoNow());
      return { nodes, from: 'api' };
    } catch {
      const cached = await this.cache.load();
      return cached ? { nodes: cached.nodes, from: 'cache' } : undefined;
    }
  }

  private async netConf(): Promise<string | undefined> {
    for (const namespace of FLANNEL_NAMESPACES) {
      try {
        const cm = await this.read('GET kube-flannel-cfg', (core) =>
          core.readNamespacedConfigMap({ name: 'kube-flannel-cfg', namespace }),
        );
        const json = cm.data?.['net-conf.json'];
        if (json) return (JSON.parse(json) as { Network?: string }).Network;
      } catch {
        // Not in this namespace (older manifests use kube-system); try the next.
      }
    }
    return undefined;
  }

  private async flannelPods(): Promise<{ namespace: string; pod: KubeFlannelPod }[]> {
    for (const namespace of FLANNEL_NAMESPACES) {
      try {
        const list = await this.read('GET flannel pods', (core) =>
          core.listNamespacedPod({ namespace, labelSelector: 'app=flannel' }),
        );
        if (list.items.length > 0) return list.items.map((p) => ({ namespace, pod: toFlannelPod(p) }));
      } catch {
        // Try the next namespace.
      }
    }
    return [];
  }

  private async podLog(namespace: string, name: string): Promise<string[]> {
    try {
      const text = await this.read('GET flannel pod log', (core) =>
        core.readNamespacedPodLog({ name, namespace, container: 'kube-flannel', tailLines: 50 }),
      );
      return String(text)
        .split('\n')
        .filter((l) => l.trim().length > 0);
    } catch {
      return [];
    }
  }
}

function toKubeNode(node: V1Node): KubeNode {
  const annotations = node.metadata?.annotations ?? {};
  let vtepMac: string | undefined;
  try {
    vtepMac = (
      JSON.parse(annotations['flannel.alpha.coreos.com/backend-data'] ?? '{}') as { VtepMAC?: string }
    ).VtepMAC?.toLowerCase();
  } catch {
    vtepMac = undefined;
  }
  const conditions = node.status?.conditions ?? [];
  const networkUnavailable = conditions.find((c) => c.type === 'NetworkUnavailable');
  return {
    name: node.metadata?.name ?? '?',
    podCIDR: node.spec?.podCIDR,
    internalIP: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    publicIp: annotations['flannel.alpha.coreos.com/public-ip'],
    vtepMac,
    ready: conditions.find((c) => c.type === 'Ready')?.status,
    networkUnavailable: networkUnavailable
      ? { status: networkUnavailable.status, reason: networkUnavailable.reason }
      : undefined,
  };
}

function toFlannelPod(pod: V1Pod): KubeFlannelPod {
  const statuses = pod.status?.containerStatuses ?? [];
  return {
    name: pod.metadata?.name ?? '?',
    node: pod.spec?.nodeName,
    phase: pod.status?.phase,
    ready: statuses.length > 0 && statuses.every((s) => s.ready),
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
  };
}

function describe(error: unknown): string {
  const e = error as { code?: number | string; message?: string; cause?: { code?: string } };
  return [e.message, e.cause?.code].filter(Boolean).join(' ') || String(error);
}
