import { NodeSSH } from 'node-ssh';
import { classifyConnectError } from './classify-ssh-error.js';
import { type KnownHosts, knownHostsName, type PinnedKey } from './known-hosts.js';
import { SshError } from './ssh-error.js';
import type { SshTarget } from './ssh-target.js';

export interface ConnectPinnedOptions {
  readonly user: string;
  readonly privateKey: string | Buffer;
  readonly knownHosts: KnownHosts;
  readonly connectTimeoutMs: number;
  /** Pings the server this often; after `keepaliveCountMax` unanswered ones the connection is closed. */
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
}

/** The key algorithms a pinned key type can be negotiated as (RSA keys sign with SHA-2 variants). */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** An open connection, and how long its TCP connect took. */
export interface PinnedConnection {
  readonly ssh: NodeSSH;
  /**
   * From the connect call to the socket's connection (ssh2's `connect` event): one round trip to
   * the node as the kernels saw it, plus this process's event-loop delay (an upper bound). No
   * key exchange and no process start on the node is in it, unlike the whole handshake.
   */
  readonly tcpConnectMs: number | undefined;
}

/**
 * Opens one SSH connection that is accepted only if the host offers a pinned, unrevoked key. A host
 * with no pinned key is refused before any packet is sent. Failures come back as coded SshErrors.
 */
export async function connectPinned(
  target: SshTarget,
  opts: ConnectPinnedOptions,
): Promise<PinnedConnection> {
  const { pinned, revoked } = opts.knownHosts.lookup(target.host, target.port);
  if (pinned.length === 0) {
    throw new SshError(
      'host-key-unknown',
      target.name,
      `no key for ${knownHostsName(target.host, target.port)} in known_hosts`,
    );
  }
  let offered: Buffer | undefined;
  const accepted = (key: Buffer) =>
    !revoked.some((r) => r.key.equals(key)) && pinned.some((p: PinnedKey) => p.key.equals(key));
  const ssh = new NodeSSH();
  let tcpConnectMs: number | undefined;
  try {
    const started = performance.now();
    const connecting = ssh.connect({
      host: target.host,
      port: target.port,
      username: opts.user,
      privateKey: typeof opts.privateKey === 'string' ? opts.privateKey : opts.privateKey.toString('utf8'),
      readyTimeout: opts.connectTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs,
      keepaliveCountMax: opts.keepaliveCountMax,
      // Negotiate only the key types we pinned, as OpenSSH does, so the server cannot pick another.
      algorithms: {
        serverHostKey: [...new Set(pinned.flatMap((p) => HOST_KEY_ALGORITHMS[p.type] ?? [p.type]))] as never,
      },
      hostVerifier: (key: Buffer) => {
        offered = key;
        return accepted(key);
      },
    });
    // node-ssh has made its ssh2 Client and called connect() by now; the socket connects later.
    // No Nagle (as OpenSSH for interactive sessions): SSH messages are small, and a channel opened
    // right after the last one closed (a follow-up bundle, a fix's next step, a burst's next run)
    // would otherwise wait for the ACK of that CLOSE, which the node delays by 40 ms.
    ssh.connection?.once('connect', () => {
      tcpConnectMs = performance.now() - started;
      ssh.connection?.setNoDelay(true);
    });
    await connecting;
  } catch (error) {
    ssh.dispose();
    throw classifyConnectError(
      target,
      error,
      offered !== undefined && !accepted(offered),
      opts.connectTimeoutMs,
    );
  }
  return { ssh, tcpConnectMs };
}
