import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export function coreClient(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc.makeApiClient(CoreV1Api);
}

/**
 * Every Kubernetes call gets a deadline: the client has none by default, and a hung API server is
 * exactly the situation netcheck is used in.
 */
export function withDeadline<T>(what: string, timeoutMs: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}
