import type { ExecutorDeps } from './executor-deps.js';
import { remedyCommands } from './remedy-commands.js';

const JOIN =
  /^kubeadm join (\S+) --token ([a-z0-9]{6})\.([a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\s*$/;
const ENDPOINT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/;

/** A fresh, short-lived join: the token's public id (to delete it) and the secret config to join with. */
export interface FreshJoin {
  readonly tokenId: string;
  /** A kubeadm JoinConfiguration holding the token: it goes to the node on stdin, never on a command line. */
  readonly config: string;
}

/**
 * Asks the control plane for a join token that lives JOIN_TOKEN_TTL_MINUTES and turns kubeadm's
 * printed join command into a JoinConfiguration. The text is a secret: it is matched against the
 * one shape kubeadm prints and rebuilt from the matched parts, never passed on as is.
 */
export async function freshJoinCommand(
  deps: Pick<ExecutorDeps, 'target' | 'exec'>,
  joinFrom: string,
): Promise<{ join: FreshJoin } | { error: string }> {
  const cp = deps.target(joinFrom);
  if (!cp) return { error: `the control plane ${joinFrom} is not in the worker's inventory` };
  const out = await deps.exec(cp, remedyCommands.createJoinToken(), { timeoutMs: 30_000 });
  const m = JOIN.exec(out.stdout.trim().split('\n').pop() ?? '');
  if (out.exitCode !== 0 || !m || !ENDPOINT.test(m[1]!))
    return {
      error: `could not get a join token from ${cp.name} (exit ${out.exitCode}); nothing was joined`,
    };
  const [, endpoint, tokenId, secret, caCertHash] = m as unknown as [string, string, string, string, string];
  return { join: { tokenId, config: joinConfiguration(endpoint, `${tokenId}.${secret}`, caCertHash) } };
}

/** kubeadm.k8s.io/v1beta3 is read by every kubeadm from 1.22 on, including those that prefer v1beta4. */
function joinConfiguration(endpoint: string, token: string, caCertHash: string): string {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta3',
    'kind: JoinConfiguration',
    'discovery:',
    '  bootstrapToken:',
    `    apiServerEndpoint: "${endpoint}"`,
    `    token: "${token}"`,
    '    caCertHashes:',
    `      - "${caCertHash}"`,
    '',
  ].join('\n');
}
