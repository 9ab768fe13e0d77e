import { argv, type RemoteCommand } from '../ssh/remote-command.js';
import type { ExecutorDeps } from './executor-deps.js';
import { remedyCommands } from './remedy-commands.js';

const JOIN =
  /^kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\s*$/;

/**
 * Asks the control plane for a fresh join command and turns it into argv. The text is a secret: it
 * is matched against the one shape kubeadm prints and re-quoted word by word, never passed on as is.
 */
export async function freshJoinCommand(
  deps: Pick<ExecutorDeps, 'target' | 'exec'>,
  joinFrom: string,
): Promise<{ command: RemoteCommand } | { error: string }> {
  const cp = deps.target(joinFrom);
  if (!cp) return { error: `the control plane ${joinFrom} is not in the worker's inventory` };
  const out = await deps.exec(cp, remedyCommands.printJoinCommand(), { timeoutMs: 30_000 });
  const m = JOIN.exec(out.stdout.trim().split('\n').pop() ?? '');
  if (out.exitCode !== 0 || !m)
    return {
      error: `could not get a join command from ${cp.name} (exit ${out.exitCode}); nothing was joined`,
    };
  return {
    command: argv(['kubeadm', 'join', m[1]!, '--token', m[2]!, '--discovery-token-ca-cert-hash', m[3]!]),
  };
}
