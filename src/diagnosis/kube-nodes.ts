import type { KubeNode } from '../kube/kube-facts.js';
import type { FactView } from './fact-view.js';

/** The cluster's nodes as the Kubernetes API last showed them (the cached list when it is unreachable now). */
export function kubeNodes(view: FactView): readonly KubeNode[] {
  const kube = view.facts.kube;
  if (kube.status === 'reachable') return kube.nodes;
  if (kube.status === 'unreachable') return kube.cached?.nodes ?? [];
  return [];
}
