import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { type Clock, systemClock } from '../core/clock.js';
import { classifyChannelError, isChannelRefused, isLinkLost } from './classify-ssh-error.js';
import { collectOutput, type ExecOptions, type ExecResult, watchExit } from './collect-output.js';
import { connectPinned } from './connect-pinned.js';
import { ConnectionPool, type PooledConnection } from './connection-pool.js';
import { type KnownHosts, knownHostsName } from './known-hosts.js';
import { type RemoteCommand, sh } from './remote-command.js';
import { SshError } from './ssh-error.js';
import type { SshTarget } from './ssh-target.js';

/** How long a channel whose result is in (ExecOptions.lastLine) may take to close by itself. */
const CLOSE_AFTER_LAST_LINE_MS = 5000;

/**
 * The longest wrapped command sent as the exec request's own text. sshd runs it as one argument
 * (`$SHELL -c <command>`), and Linux refuses any single argument over 128 KiB (MAX_ARG_STRLEN) with
 * E2BIG: the shell never starts. A longer command (a target's bundle on a cluster of some 80 nodes
 * or more) goes to the node's stdin, and a fixed, short command reads it from there.
 */
export const INLINE_COMMAND_MAX_BYTES = 64 * 1024;

/** Reads the whole command from stdin, then runs it: nothing it starts can read the rest of it. */
const FROM_STDIN = 'eval "$(cat)"';

export type { ExecOptions, ExecResult } from './collect-output.js';
export type { SshTarget } from './ssh-target.js';

/** One try of a command: done, failed before it could start, or cut off by the connection's end. */
type Attempt =
  | { readonly kind: 'done'; readonly result: ExecResult }
  | { readonly kind: 'failed'; readonly error: SshError; readonly stale: boolean }
  | { readonly kind: 'cut'; readonly result: ExecResult; readonly stale: boolean };

/** What the caller gets from a final attempt: a failure to start is thrown, a cut command is a result. */
function outcome(attempt: Attempt): ExecResult {
  if (attempt.kind === 'failed') throw attempt.error;
  return attempt.result;
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
  /**
   * SSH keepalives: a connection whose server has not answered `keepaliveCountMax` pings sent
   * every `keepaliveIntervalMs` is retired, so that a node that rebooted (no FIN ever comes: the
   * connection is half-open) or vanished does not keep a dead connection in the pool.
   */
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveCountMax?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
  /** Measures command durations; the system clock unless a test swaps it. */
  readonly clock?: Pick<Clock, 'monotonicMs'>;
}

/**
 * Pooled SSH connections with pinned host keys. One connection per node is reused across probes and
 * jobs; at most `maxConcurrentChannels` commands run on it at once, fewer if the server refuses
 * more (its MaxSessions): those wait for a free channel rather than fail. Every command has a
 * remote `timeout` and a local deadline, and its output is capped.
 */
export class SshTransport {
  private readonly pool: ConnectionPool<NodeSSH>;
  private readonly clock: Pick<Clock, 'monotonicMs'>;
  /** Handshake time of each node's current connection: evidence of its round trip (probes/probe-deadline.ts). */
  private readonly handshakes = new Map<string, number>();
  /** TCP connect time of each node's current connection: one round trip to it (connect-pinned.ts). */
  private readonly connects = new Map<string, number>();

  constructor(private readonly opts: SshTransportOptions) {
    this.clock = opts.clock ?? systemClock;
    this.pool = new ConnectionPool<NodeSSH>({
      open: (target, lost) => this.open(target, lost),
      key: (target) => this.keyOf(target),
      maxChannels: Math.max(1, Math.min(opts.maxConcurrentChannels ?? 8, 9)),
      idleCloseMs: opts.idleCloseMs ?? 60_000,
      shuttingDown: (target) => new SshError('ssh-protocol', target.name, 'the transport is shutting down'),
    });
  }

  private async open(target: SshTarget, lost: () => void): Promise<NodeSSH> {
    const started = this.clock.monotonicMs();
    const { ssh, tcpConnectMs } = await connectPinned(target, {
      user: this.opts.user,
      privateKey: this.opts.privateKey,
      knownHosts: this.opts.knownHosts,
      connectTimeoutMs: this.opts.connectTimeoutMs ?? 5000,
      keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: this.opts.keepaliveCountMax ?? 3,
    });
    // node-ssh stops listening for errors once connected; without this a later ECONNRESET crashes the process.
    ssh.connection?.on('error', (error: Error) => {
      this.opts.logger?.warn({ err: error, target: target.name }, 'ssh connection error');
      lost();
    });
    ssh.connection?.on('close', lost);
    this.handshakes.set(this.keyOf(target), this.clock.monotonicMs() - started);
    if (tcpConnectMs === undefined) this.connects.delete(this.keyOf(target));
    else this.connects.set(this.keyOf(target), tcpConnectMs);
    return ssh;
  }

  private keyOf(target: SshTarget): string {
    return `${this.opts.user}@${knownHostsName(target.host, target.port)}`;
  }

  /** How long the handshake of the latest connection to `target` took, if there was one. */
  handshakeMs(target: SshTarget): number | undefined {
    return this.handshakes.get(this.keyOf(target));
  }

  /** How long the TCP connect of the latest connection to `target` took, if there was one. */
  connectRttMs(target: SshTarget): number | undefined {
    return this.connects.get(this.keyOf(target));
  }

  /** Opens (or reuses) the connection to `target` without running anything. */
  async connect(target: SshTarget): Promise<void> {
    const pooled = await this.pool.connection(target);
    this.pool.touch(target, pooled);
  }

  async exec(target: SshTarget, command: RemoteCommand, opts: ExecOptions): Promise<ExecResult> {
    const seconds = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    // The remote side kills a hung command itself; the local deadline covers a dead link.
    const timed = (text: string) => sh`timeout --kill-after=1 ${seconds} sh -c ${text}`.text;
    const inline = timed(command.text);
    const viaStdin = Buffer.byteLength(inline) > INLINE_COMMAND_MAX_BYTES;
    if (viaStdin && opts.stdin !== undefined)
      throw new SshError(
        'ssh-protocol',
        target.name,
        `a command of ${Buffer.byteLength(command.text)} bytes that also reads stdin cannot be sent (at most ${INLINE_COMMAND_MAX_BYTES} bytes); nothing was run`,
      );
    const wrapped = viaStdin ? timed(FROM_STDIN) : inline;
    const sent = viaStdin ? { ...opts, stdin: command.text } : opts;
    const first = await this.execOnce(target, wrapped, sent);
    if (first.kind === 'done') return first.result;
    if (!(opts.retryOnStaleConnection && first.stale)) return outcome(first);
    // Only the caller knows that running the command twice is harmless: it asked for this.
    this.opts.logger?.warn(
      {
        target: target.name,
        detail: first.kind === 'failed' ? first.error.detail : 'connection lost mid-command',
      },
      'a pooled SSH connection was dead (sshd restarted or node rebooted?); running the read-only command again on a fresh one',
    );
    return outcome(await this.execOnce(target, wrapped, sent));
  }

  /** Runs `text` once on the pooled connection; says whether a failure was that connection going stale. */
  private async execOnce(target: SshTarget, text: string, opts: ExecOptions): Promise<Attempt> {
    const pooled = await this.pool.connection(target);
    // Judged before the attempt: a connection that served commands and now fails went stale; one
    // that never served any failing is news about the node, reported as it is.
    const reused = pooled.served;
    let opened: { stream: ClientChannel; startedMs: number };
    try {
      opened = await this.openInSlot(target, pooled, text);
    } catch (error) {
      if (!(error instanceof SshError)) throw error;
      return { kind: 'failed', error, stale: reused && error.code === 'node-unreachable' };
    }
    pooled.served = true;
    let closing: Promise<void> | undefined;
    try {
      const collected = await collectOutput(opened.stream, opts, opened.startedMs, () =>
        this.clock.monotonicMs(),
      );
      const { result } = collected;
      closing = collected.closing;
      // The channel closed with no exit status because the connection went (ssh2 reports the
      // connection's close before it closes its channels): the command's outcome is unknown.
      const cut =
        result.exitCode === null && result.signal === null && !result.timedOut && pooled.slots.closed;
      return cut ? { kind: 'cut', result, stale: reused } : { kind: 'done', result };
    } finally {
      if (closing) this.releaseWhenClosed(target, pooled, opened.stream, closing);
      else this.pool.releaseSlot(target, pooled);
    }
  }

  /**
   * A channel whose result came in before it closed (ExecOptions.lastLine) keeps its slot until it
   * closes: the server counts it against MaxSessions until then. One that does not close soon (its
   * shell hung on the way out) is closed from here, and its slot given back all the same.
   */
  private releaseWhenClosed(
    target: SshTarget,
    pooled: PooledConnection<NodeSSH>,
    stream: ClientChannel,
    closing: Promise<void>,
  ): void {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(bound);
      this.pool.releaseSlot(target, pooled);
    };
    const bound = setTimeout(() => {
      stream.close();
      release();
    }, CLOSE_AFTER_LAST_LINE_MS);
    // Nothing waits on it: it must not hold the process open at shutdown.
    bound.unref();
    void closing.then(release);
  }

  /**
   * Opens an exec channel on a slot of its own and returns it with the slot still held, and when the
   * open that succeeded began (a command's duration does not count its wait for a slot). A channel
   * the server refuses (its session limit) is opened again once a slot frees up: it never ran
   * anything. Any other failure gives the slot back and is reported as it is.
   */
  private async openInSlot(
    target: SshTarget,
    pooled: PooledConnection<NodeSSH>,
    text: string,
  ): Promise<{ stream: ClientChannel; startedMs: number }> {
    // Retries so far of a channel refused while no other channel of ours was open.
    let retries = 0;
    for (let sentBack = false; ; sentBack = true) {
      if (!(await this.pool.takeSlot(pooled, sentBack)))
        throw new SshError('node-unreachable', target.name, 'the connection closed');
      const startedMs = this.clock.monotonicMs();
      let error: Error;
      try {
        return { stream: await this.openChannel(pooled, text), startedMs };
      } catch (failure) {
        error = failure as Error;
      }
      if (!isChannelRefused(error) || pooled.slots.closed) {
        this.pool.releaseSlot(target, pooled);
        // A channel that cannot open on an established connection means the link is gone: drop
        // the connection so the next call reconnects, and report the node as unreachable.
        const lost = isLinkLost(error, pooled.slots.closed);
        if (lost) this.pool.retire(target, pooled);
        throw classifyChannelError(target, error, lost);
      }
      // Judged before the slot is given back, so that the next waiter already sees a lowered limit.
      const verdict = pooled.slots.refused(retries);
      this.pool.releaseSlot(target, pooled);
      if (verdict.action === 'give-up') {
        throw new SshError(
          'ssh-protocol',
          target.name,
          `the server refused ${retries + 1} channels in a row with no other channel of ours open (${error.message}); check MaxSessions in its sshd_config`,
        );
      }
      if (verdict.action === 'retry') {
        retries += 1;
        await new Promise((resolve) => setTimeout(resolve, verdict.afterMs));
      } else if (verdict.firstRefusal) {
        this.opts.logger?.warn(
          { target: target.name },
          'the SSH server refuses more channels at once than the pool allows (MaxSessions); queueing them',
        );
      }
    }
  }

  /** Opens an exec channel; rejects with ssh2's own error, classified by the caller. */
  private openChannel(pooled: PooledConnection<NodeSSH>, text: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      const client = pooled.conn.connection;
      if (!client) {
        reject(new Error('Not connected'));
        return;
      }
      // ssh2 throws rather than calls back when the socket is already gone.
      try {
        client.exec(text, (error: Error | undefined, stream: ClientChannel) => {
          if (error) return reject(error);
          watchExit(stream);
          resolve(stream);
        });
      } catch (error) {
        reject(error);
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
