import { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import type { KnownHosts, PinnedKey } from './known-hosts.js';
import { knownHostsName } from './known-hosts.js';
import { type RemoteCommand, sh } from './remote-command.js';
import { SshError } from './ssh-error.js';
import type { SshTarget } from './ssh-target.js';

export type { SshTarget } from './ssh-target.js';

export interface ExecOptions {
  readonly timeoutMs: number;
  /** Per stream; the rest is discarded, not buffered. Default 256 KiB. */
  readonly maxOutputBytes?: number;
  /** Written to the command's stdin, which is then closed: how a secret reaches a node off its process list. */
  readonly stdin?: string;
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export interface SshTransportOptions {
  readonly user: string;
  readonly privateKey: string | Buffer;
  readonly knownHosts: KnownHosts;
  readonly connectTimeoutMs?: number;
  /** Channels open at once per connection; OpenSSH's MaxSessions is 10. */
  readonly maxConcurrentChannels?: number;
  /** A pooled connection is closed after this long unused. */
  readonly idleCloseMs?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

/** The key algorithms a pinned key type can be negotiated as (RSA keys sign with SHA-2 variants). */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface PooledConnection {
  readonly ssh: NodeSSH;
  active: number;
  readonly waiting: (() => void)[];
  idleTimer: NodeJS.Timeout | undefined;
  closed: boolean;
}

/**
 * Pooled SSH connections with pinned host keys. One connection per node is reused across probes and
 * jobs; at most `maxConcurrentChannels` commands run on it at once. Every command has a remote
 * `timeout` and a local deadline, and its output is capped.
 */
export class SshTransport {
  private readonly pool = new Map<string, Promise<PooledConnection>>();
  private readonly maxChannels: number;
  private readonly idleCloseMs: number;
  private closing = false;

  constructor(private readonly opts: SshTransportOptions) {
    this.maxChannels = Math.max(1, Math.min(opts.maxConcurrentChannels ?? 8, 9));
    this.idleCloseMs = opts.idleCloseMs ?? 60_000;
  }

  private key(target: SshTarget): string {
    return `${this.opts.user}@${knownHostsName(target.host, target.port)}`;
  }

  async connect(target: SshTarget): Promise<void> {
    const conn = await this.acquireConnection(target);
    this.touch(target, conn);
  }

  private acquireConnection(target: SshTarget): Promise<PooledConnection> {
    if (this.closing)
      return Promise.reject(new SshError('ssh-protocol', target.name, 'the transport is shutting down'));
    const key = this.key(target);
    let pending = this.pool.get(key);
    if (!pending) {
      pending = this.open(target);
      this.pool.set(key, pending);
      pending.catch(() => {
        if (this.pool.get(key) === pending) this.pool.delete(key);
      });
    }
    return pending;
  }

  private async open(target: SshTarget): Promise<PooledConnection> {
    const { pinned, revoked } = this.opts.knownHosts.lookup(target.host, target.port);
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
    try {
      await ssh.connect({
        host: target.host,
        port: target.port,
        username: this.opts.user,
        privateKey:
          typeof this.opts.privateKey === 'string'
            ? this.opts.privateKey
            : this.opts.privateKey.toString('utf8'),
        readyTimeout: this.opts.connectTimeoutMs ?? 5000,
        keepaliveInterval: 15_000,
        // Negotiate only the key types we pinned, as OpenSSH does, so the server cannot pick another.
        algorithms: {
          serverHostKey: [
            ...new Set(pinned.flatMap((p) => HOST_KEY_ALGORITHMS[p.type] ?? [p.type])),
          ] as never,
        },
        hostVerifier: (key: Buffer) => {
          offered = key;
          return accepted(key);
        },
      });
    } catch (error) {
      ssh.dispose();
      throw this.classify(target, error, offered !== undefined && !accepted(offered));
    }
    const conn: PooledConnection = { ssh, active: 0, waiting: [], idleTimer: undefined, closed: false };
    const key = this.key(target);
    const drop = () => {
      conn.closed = true;
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      for (const wake of conn.waiting.splice(0)) wake();
      void this.pool.get(key)?.then((c) => {
        if (c === conn) this.pool.delete(key);
      });
    };
    // node-ssh stops listening for errors once connected; without this a later ECONNRESET crashes the process.
    ssh.connection?.on('error', (error: Error) => {
      this.opts.logger?.warn({ err: error, target: target.name }, 'ssh connection error');
      drop();
    });
    ssh.connection?.on('close', drop);
    return conn;
  }

  private classify(target: SshTarget, error: unknown, keyRejected: boolean): SshError {
    const e = error as { code?: string; level?: string; message?: string };
    const message = e.message ?? String(error);
    if (keyRejected || /Host denied|verification failed/i.test(message)) {
      return new SshError(
        'host-key-mismatch',
        target.name,
        `the host key offered by ${knownHostsName(target.host, target.port)} is not the pinned one`,
      );
    }
    if (e.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
      return new SshError('auth-failed', target.name, message);
    }
    if (e.level === 'client-timeout' || /Timed out while waiting for handshake/i.test(message)) {
      return new SshError(
        'node-unreachable',
        target.name,
        `timed out after ${this.opts.connectTimeoutMs ?? 5000} ms waiting for the SSH handshake`,
      );
    }
    if ((e.code && UNREACHABLE.has(e.code)) || e.level === 'client-socket') {
      return new SshError('node-unreachable', target.name, `${e.code ?? 'socket error'}: ${message}`);
    }
    return new SshError('ssh-protocol', target.name, message);
  }

  private touch(target: SshTarget, conn: PooledConnection): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
    if (conn.active === 0 && !conn.closed) {
      conn.idleTimer = setTimeout(() => {
        const key = this.key(target);
        void this.pool.get(key)?.then((c) => {
          if (c === conn && conn.active === 0) {
            this.pool.delete(key);
            conn.ssh.dispose();
          }
        });
      }, this.idleCloseMs);
      conn.idleTimer.unref();
    }
  }

  async exec(target: SshTarget, command: RemoteCommand, opts: ExecOptions): Promise<ExecResult> {
    const conn = await this.acquireConnection(target);
    while (conn.active >= this.maxChannels && !conn.closed)
      await new Promise<void>((resolve) => conn.waiting.push(resolve));
    if (conn.closed) throw new SshError('node-unreachable', target.name, 'the connection closed');
    conn.active += 1;
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    try {
      return await this.run(target, conn, command, opts);
    } finally {
      conn.active -= 1;
      conn.waiting.shift()?.();
      this.touch(target, conn);
    }
  }

  private run(
    target: SshTarget,
    conn: PooledConnection,
    command: RemoteCommand,
    opts: ExecOptions,
  ): Promise<ExecResult> {
    const cap = opts.maxOutputBytes ?? 256 * 1024;
    const seconds = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    // The remote side kills a hung command itself; the local deadline covers a dead link.
    const wrapped = sh`timeout --kill-after=1 ${seconds} sh -c ${command.text}`;
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const client = conn.ssh.connection;
      if (!client) {
        reject(new SshError('node-unreachable', target.name, 'not connected'));
        return;
      }
      client.exec(wrapped.text, (error: Error | undefined, stream: ClientChannel) => {
        if (error) {
          // A channel that cannot open on an established connection means the link is gone: drop
          // the connection so the next call reconnects, and report the node as unreachable.
          const lost =
            conn.closed || /No response from server|Not connected|closed|ECONNRESET/i.test(error.message);
          if (lost) conn.ssh.dispose();
          reject(
            new SshError(
              lost ? 'node-unreachable' : 'ssh-protocol',
              target.name,
              `cannot open a channel: ${error.message}`,
            ),
          );
          return;
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outBytes = 0;
        let errBytes = 0;
        let truncated = false;
        let timedOut = false;
        let settled = false;
        const collect = (chunks: Buffer[], size: number, chunk: Buffer): number => {
          const room = cap - size;
          if (room <= 0) {
            truncated = true;
            return size;
          }
          if (chunk.length > room) truncated = true;
          chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          return size + Math.min(chunk.length, room);
        };
        stream.on('data', (chunk: Buffer) => {
          outBytes = collect(out, outBytes, chunk);
        });
        stream.stderr.on('data', (chunk: Buffer) => {
          errBytes = collect(err, errBytes, chunk);
        });
        const finish = (exitCode: number | null, signal: string | null) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({
            exitCode,
            signal,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
            truncated,
            timedOut: timedOut || exitCode === 124 || exitCode === 137,
            durationMs: Math.round(performance.now() - started),
          });
        };
        const deadline = setTimeout(() => {
          timedOut = true;
          stream.close();
          finish(null, 'deadline');
        }, opts.timeoutMs + 2000);
        // Output can still arrive after 'exit'; only 'close' means everything is in.
        let exitCode: number | null = null;
        let exitSignal: string | null = null;
        stream.on('exit', (code: number | null, signal?: string) => {
          exitCode = typeof code === 'number' ? code : null;
          exitSignal = signal ?? null;
        });
        stream.on('close', () => finish(exitCode, exitSignal));
        if (opts.stdin !== undefined) stream.end(opts.stdin);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.pool.values()];
    this.pool.clear();
    for (const pending of all) {
      const conn = await pending.catch(() => undefined);
      if (!conn) continue;
      if (conn.idleTimer) clearTimeout(conn.idleTimer);
      conn.ssh.dispose();
    }
  }
}
