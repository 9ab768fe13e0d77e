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

/**
 * How long a connection kept for the next call may sit idle (ms). Below the idle timeouts servers
 * use (Node's 5 s, the API server's 90 s), so that the server seldom closes one just as a call goes
 * out on it; a server that says less (`Keep-Alive: timeout=`) is believed.
 */
export const KEPT_CONNECTION_IDLE_MS = 4000;

/**
 * `reuseConnections`: calls may go out on a connection an earlier call opened (keep-alive). For
 * the calls made once the API server has answered (the flannel config, its pods, a pod's log): a
 * call whose kept connection turns out closed is made again (kube-gateway.ts). Not for the node
 * list: whether the API server accepts connections right now is part of what a diagnosis observes.
 */
export function coreClient(kubeconfigPath: string, opts: { reuseConnections?: boolean } = {}): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster (set current-context)`);
  // As kc.makeApiClient builds it, with the one difference SharedTls makes.
  return new CoreV1Api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: new SharedTls(kc, opts.reuseConnections ?? false) },
    }),
  );
}

/**
 * The client makes a new https.Agent for every request, so every call parses the CA, certificate
 * and key again and starts a full TLS handshake: CPU on both ends, a few times per diagnosis. This
 * keeps one agent per set of TLS options (a rotated certificate makes a new one), holding the parsed
 * context and the TLS session for resumption, and, where asked, connections for the next call.
 * Anything but a plain https.Agent (a proxy's) is left as the client made it.
 */
class SharedTls implements SecurityAuthentication {
  private shared: { key: string; agent: Agent } | undefined;

  constructor(
    private readonly kc: KubeConfig,
    private readonly keepAlive: boolean,
  ) {}

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
      const kept = this.keepAlive
        ? { keepAlive: true, timeout: KEPT_CONNECTION_IDLE_MS }
        : { keepAlive: false };
      this.shared = { key, agent: new Agent({ ...o, secureContext, ...kept }) };
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

/**
 * A read over a kept connection that the server closed as the call went out fails at once with a
 * reset: read-only, so it is made once more (the agent has dropped that connection), each try under
 * its own deadline. Any other failure, or a second reset, is the answer.
 */
export async function kubeRead<T>(what: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await kubeCall(what, timeoutMs, call());
  } catch (error) {
    if (!closedUnderneath(error)) throw error;
    return kubeCall(what, timeoutMs, call());
  }
}

function closedUnderneath(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    (typeof e?.message === 'string' && /socket hang up|ECONNRESET|EPIPE/.test(e.message))
  );
}
