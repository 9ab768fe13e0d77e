export const SSH_ERROR_CODES = [
  'host-key-mismatch',
  'host-key-unknown',
  'node-unreachable',
  'auth-failed',
  'ssh-protocol',
] as const;
export type SshErrorCode = (typeof SSH_ERROR_CODES)[number];

const ADVICE: Record<SshErrorCode, string> = {
  'host-key-mismatch':
    'the host presented a key that is not the pinned one; verify it out of band before updating known_hosts',
  'host-key-unknown':
    'no key is pinned for this host; add it to known_hosts (ssh-keyscan from a trusted network, then compare fingerprints)',
  'node-unreachable': 'check that the node is up and that port is reachable from the worker',
  'auth-failed': "check ssh.user and that the public key is in the node's authorized_keys",
  'ssh-protocol': 'the SSH session failed; see the detail',
};

/** An SSH failure with a stable code: the diagnosis turns most of these into findings. */
export class SshError extends Error {
  constructor(
    readonly code: SshErrorCode,
    readonly target: string,
    readonly detail: string,
  ) {
    super(`ssh ${target}: ${code}: ${detail} (${ADVICE[code]})`);
    this.name = 'SshError';
  }
}
