import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './lab-exec.js';
import { nodeRun } from './lab-node-exec.js';
import { killTree, readPid, sleep, waitForTcp } from './lab-process.js';
import { type LabState, nodeDir } from './lab-state.js';
import type { LabNodeSpec } from './lab-topology.js';

/** A host key, the lab's public key as the only authorised one, and an sshd_config for the node. */
export async function configureSshd(state: LabState, spec: LabNodeSpec): Promise<void> {
  const dir = nodeDir(state, spec.name);
  await run([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    `${spec.name}`,
    '-f',
    path.join(dir, 'ssh_host_ed25519_key'),
  ]);
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${state.privateKeyPath}.pub`));
  await chmod(path.join(dir, 'ssh_host_ed25519_key'), 0o600);
  await writeFile(
    path.join(dir, 'sshd_config'),
    [
      `ListenAddress ${spec.host}:22`,
      `HostKey ${path.join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'UseDNS no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
}

/** The node's sshd listener, from its pid file, if it runs. */
export const sshdPid = (state: Pick<LabState, 'stateDir'>, node: string): Promise<number | undefined> =>
  readPid(path.join(nodeDir(state, node), 'sshd.pid'));

export async function startSshd(
  state: Pick<LabState, 'stateDir' | 'specs'>,
  spec: LabNodeSpec,
): Promise<void> {
  await nodeRun(state, spec.name, [
    '/usr/sbin/sshd',
    '-f',
    path.join(nodeDir(state, spec.name), 'sshd_config'),
  ]);
  await waitForTcp(spec.host, 22, 10_000);
}

/**
 * Stops the node's sshd as a dead node would: the listener and every established session. Each
 * session is a descendant of the listener whatever OpenSSH calls it (`sshd` up to 9.7,
 * `sshd-session` and `sshd-auth` from 9.8/10), so the listener's process tree goes, not a list
 * of names.
 */
export async function stopSshd(state: Pick<LabState, 'stateDir'>, spec: LabNodeSpec): Promise<void> {
  const pid = await sshdPid(state, spec.name);
  if (pid) await killTree(pid);
  for (let i = 0; i < 100 && (await sshdPid(state, spec.name)); i++) await sleep(20);
}
