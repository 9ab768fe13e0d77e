import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { withDeadline } from '../core/deadline.js';

export function coreClient(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

/**
 * Every Kubernetes call gets a deadline: the client has none by default, and a hung API server is
 * exactly the situation netcheck is used in.
 */
export function kubeCall<T>(what: string, timeoutMs: number, call: Promise<T>): Promise<T> {
  return withDeadline(call, timeoutMs, what);
}
