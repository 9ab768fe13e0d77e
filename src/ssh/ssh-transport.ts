import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { type Clock, systemClock } from '../core/clock.js';
import { classifyChannelError, isLinkLost } from './classify-ssh-error.js';
import { collectOutput, type ExecOptions, type ExecResult } from './collect-output.js';
import { connectPinned } from './connect-pinned.js';
import { ConnectionPool, type PooledConnection } from './connection-pool.js';
import { type KnownHosts, knownHostsName } from './known-hosts.js';
import { type RemoteCommand, sh } from './remote-command.js';
import { SshError } from './ssh-error.js';
import type { SshTarget } from './ssh-target.js';

export type { ExecOptions, ExecResult } from './collect-output.js';
export type { SshTarget } from './ssh-target.js';

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
  /** Measures command durations; the system clock unless a test swaps it. */
  readonly clock?: Pick<Clock, 'monotonicMs'>;
}

/**
 * Pooled SSH connections with pinned host keys. One connection per node is reused across probes and
 * jobs; at most `maxConcurrentChannels` commands run on it at once. Every command has a remote
 * `timeout` and a local deadline, and its output is capped.
 */
export class SshTransport {
  private readonly pool: ConnectionPool<NodeSSH>;
  private readonly clock: Pick<Clock, 'monotonicMs'>;

  constructor(private readonly opts: SshTransportOptions) {
    this.clock = opts.clock ?? systemClock;
    this.pool = new ConnectionPool<NodeSSH>({
      open: (target, lost) => this.open(target, lost),
      key: (target) => `${opts.user}@${knownHostsName(target.host, target.port)}`,
      maxChannels: Math.max(1, Math.min(opts.maxConcurrentChannels ?? 8, 9)),
      idleCloseMs: opts.idleCloseMs ?? 60_000,
      shuttingDown: (target) => new SshError('ssh-protocol', target.name, 'the transport is shutting down'),
    });
  }

  private async open(target: SshTarget, lost: () => void): Promise<NodeSSH> {
    const ssh = await connectPinned(target, {
      user: this.opts.user,
      privateKey: this.opts.privateKey,
      knownHosts: this.opts.knownHosts,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 5000,
    });
    // node-ssh stops listening for errors once connected; without this a later ECONNRESET crashes the process.
    ssh.connection?.on('error', (error: Error) => {
      this.opts.logger?.warn({ err: error, target: target.name }, 'ssh connection error');
      lost();
    });
    ssh.connection?.on('close', lost);
    return ssh;
  }

  /** Opens (or reuses) the connection to `target` without running anything. */
  async connect(target: SshTarget): Promise<void> {
    const pooled = await this.pool.connection(target);
    this.pool.touch(target, pooled);
  }

  async exec(target: SshTarget, command: RemoteCommand, opts: ExecOptions): Promise<ExecResult> {
    const pooled = await this.pool.connection(target);
    if (!(await this.pool.takeSlot(pooled)))
      throw new SshError('node-unreachable', target.name, 'the connection closed');
    try {
      const seconds = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
      // The remote side kills a hung command itself; the local deadline covers a dead link.
      const wrapped = sh`timeout --kill-after=1 ${seconds} sh -c ${command.text}`;
      const started = this.clock.monotonicMs();
      const stream = await this.openChannel(target, pooled, wrapped.text);
      return await collectOutput(stream, opts, started, () => this.clock.monotonicMs());
    } finally {
      this.pool.releaseSlot(target, pooled);
    }
  }

  private openChannel(
    target: SshTarget,
    pooled: PooledConnection<NodeSSH>,
    text: string,
  ): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      const client = pooled.conn.connection;
      if (!client) {
        reject(new SshError('node-unreachable', target.name, 'not connected'));
        return;
      }
      client.exec(text, (error: Error | undefined, stream: ClientChannel) => {
        if (!error) {
          resolve(stream);
          return;
        }
        // A channel that cannot open on an established connection means the link is gone: drop
        // the connection so the next call reconnects, and report the node as unreachable.
        const lost = isLinkLost(error, pooled.closed);
        if (lost) pooled.conn.dispose();
        reject(classifyChannelError(target, error, lost));
      });
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
