import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { coreClient, kubeCall } from './kube-client.js';
import { type ConditionOutcome, NETWORK_PROBLEM_CONDITION, type NetworkCondition } from './node-condition.js';

export type DrainOutcome =
  | { readonly status: 'done'; readonly evicted: readonly string[]; readonly skipped: readonly string[] }
  | { readonly status: 'unreachable'; readonly error: string }
  | { readonly status: 'failed'; readonly error: string };

/**
 * The only Kubernetes writes netcheck makes. An approved reset plan: cordon a node, evict its pods
 * (DaemonSet and mirror pods stay, as `kubectl drain --ignore-daemonsets` does), delete the node
 * object. A sweep: the `NetcheckNetworkProblem` condition on the node's status. Every call has a deadline; an API server that does not answer is reported as
 * 'unreachable' so the plan can go on without it (the node is reset over SSH either way).
 */
export class KubeNodeWriter {
  private readonly core: CoreV1Api;

  constructor(
    kubeconfigPath: string,
    private readonly timeoutMs = 5000,
  ) {
    this.core = coreClient(kubeconfigPath);
  }

  private deadline<T>(what: string, call: Promise<T>): Promise<T> {
    return kubeCall(what, this.timeoutMs, call);
  }

  /**
   * Sets the node's `NetcheckNetworkProblem` condition: a strategic merge patch on the status
   * subresource (conditions merge by `type`, so the kubelet's own conditions are left alone). Needs
   * `nodes/status` `patch` (docs/rbac.md). Any failure is a skip the sweep reports, never a throw.
   */
  async setCondition(node: string, condition: NetworkCondition, nowIso: string): Promise<ConditionOutcome> {
    const body = {
      status: {
        conditions: [
          {
            type: NETWORK_PROBLEM_CONDITION,
            status: condition.status,
            reason: condition.reason,
            message: condition.message,
            lastHeartbeatTime: nowIso,
            lastTransitionTime: nowIso,
          },
        ],
      },
    };
    try {
      await this.deadline(
        `PATCH /api/v1/nodes/${node}/status`,
        this.core.patchNodeStatus(
          { name: node, body },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      );
      return { status: 'written' };
    } catch (error) {
      return { status: 'skipped', error: describe(error) };
    }
  }

  async drainAndDelete(node: string): Promise<DrainOutcome> {
    try {
      await this.deadline(`GET /api/v1/nodes/${node}`, this.core.readNode({ name: node }));
    } catch (error) {
      if (statusCode(error) === 404)
        return { status: 'done', evicted: [], skipped: ['node object already gone'] };
      return { status: 'unreachable', error: describe(error) };
    }
    try {
      await this.deadline(
        `PATCH /api/v1/nodes/${node}`,
        this.core.patchNode(
          { name: node, body: { spec: { unschedulable: true } } },
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      );
      const pods = await this.deadline(
        'GET /api/v1/pods',
        this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }),
      );
      const evicted: string[] = [];
      const skipped: string[] = [];
      for (const pod of pods.items) {
        const name = `${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;
        if (staysOnDrain(pod)) {
          skipped.push(name);
          continue;
        }
        await this.deadline(
          `POST eviction ${name}`,
          this.core.createNamespacedPodEviction({
            name: pod.metadata?.name ?? '',
            namespace: pod.metadata?.namespace ?? '',
            body: {
              apiVersion: 'policy/v1',
              kind: 'Eviction',
              metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace },
            },
          }),
        );
        evicted.push(name);
      }
      await this.deadline(`DELETE /api/v1/nodes/${node}`, this.core.deleteNode({ name: node }));
      return { status: 'done', evicted, skipped };
    } catch (error) {
      return { status: 'failed', error: describe(error) };
    }
  }
}

/** DaemonSet pods are recreated on the node anyway and mirror pods belong to the kubelet. */
function staysOnDrain(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return true;
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

function statusCode(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

function describe(error: unknown): string {
  const e = error as { code?: number | string; message?: string; cause?: { code?: string } };
  return [e.message, e.cause?.code].filter(Boolean).join(' ').split('\n')[0] || String(error);
}
