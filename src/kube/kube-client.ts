import { createHash } from 'node:crypto';
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import {
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  type RequestContext,
  type SecurityAuthentication,
  ServerConfiguration,
} from '@kubernetes/client-node';
import { withDeadline } from '../core/deadline.js';

export function coreClient(kubeconfigPath: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster (set current-context)`);
  // As kc.makeApiClient builds it, with the one difference SharedTls makes.
  return new CoreV1Api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: new SharedTls(kc) },
    }),
  );
}

/**
 * The client makes a new https.Agent for every request, so every call parses the CA, certificate
 * and key again and starts a full TLS handshake: CPU on both ends, a few times per diagnosis. This
 * keeps one agent per set of TLS options (a rotated certificate makes a new one), holding the parsed
 * context and the TLS session for resumption. Still one new connection per call (no keep-alive):
 * whether the API server accepts connections right now is part of what a diagnosis observes.
 * Anything but a plain https.Agent (a proxy's) is left as the client made it.
 */
class SharedTls implements SecurityAuthentication {
  private shared: { key: string; agent: Agent } | undefined;

  constructor(private readonly kc: KubeConfig) {}

  getName(): string {
    return 'netcheck-shared-tls';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kc.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!(made instanceof Agent) || made.constructor !== Agent) return;
    const o = made.options;
    const key = createHash('sha256')
      .update(JSON.stringify([o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername]))
      .digest('hex');
    if (this.shared?.key !== key) {
      this.shared?.agent.destroy();
      const { ca, cert, key: privateKey, pfx, passphrase } = o;
      const secureContext = createSecureContext({ ca, cert, key: privateKey, pfx, passphrase });
      this.shared = { key, agent: new Agent({ ...o, secureContext, keepAlive: false }) };
    }
    context.setAgent(this.shared.agent);
  }
}

/**
 * Every Kubernetes call gets a deadline: the client has none by default, and a hung API server is
 * exactly the situation netcheck is used in.
 */
export function kubeCall<T>(what: string, timeoutMs: number, call: Promise<T>): Promise<T> {
  return withDeadline(call, timeoutMs, what);
}
