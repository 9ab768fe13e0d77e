/** What the Kubernetes API said (or that it could not be asked). Plain data, part of the recorded facts. */
export interface KubeNode {
  readonly name: string;
  readonly podCIDR: string | undefined;
  readonly internalIP: string | undefined;
  readonly publicIp: string | undefined;
  readonly vtepMac: string | undefined;
  readonly ready: string | undefined;
  readonly networkUnavailable: { readonly status: string; readonly reason: string | undefined } | undefined;
}

export interface KubeFlannelPod {
  readonly name: string;
  readonly node: string | undefined;
  readonly phase: string | undefined;
  readonly ready: boolean;
  readonly restarts: number;
}

export type KubeFacts =
  | { readonly status: 'disabled' }
  | {
      readonly status: 'reachable';
      readonly nodes: readonly KubeNode[];
      readonly netConfNetwork: string | undefined;
      readonly flannelPods: readonly KubeFlannelPod[];
      /** Recent log of the Flannel pod on the target node. */
      readonly flannelLog: readonly string[];
    }
  | {
      readonly status: 'unreachable';
      readonly error: string;
      /** The last node list seen, from Redis, with when it was fetched. */
      readonly cached: { readonly nodes: readonly KubeNode[]; readonly fetchedAt: string } | undefined;
    };

/** The API server's node list, where it answered now with one (not a cached list). */
export function liveNodeList(kube: KubeFacts | undefined): readonly KubeNode[] | undefined {
  return kube?.status === 'reachable' && kube.nodes.length > 0 ? kube.nodes : undefined;
}

/**
 * The node list to judge the cluster's shape by: the API server's now (`live`), else the last one
 * seen, where the API server could not be asked (a cached list: the shape before the fault).
 */
export function knownNodeList(
  kube: KubeFacts | undefined,
): { readonly nodes: readonly KubeNode[]; readonly live: boolean } | undefined {
  const live = liveNodeList(kube);
  if (live) return { nodes: live, live: true };
  const cached = kube?.status === 'unreachable' ? kube.cached?.nodes : undefined;
  return cached && cached.length > 0 ? { nodes: cached, live: false } : undefined;
}
