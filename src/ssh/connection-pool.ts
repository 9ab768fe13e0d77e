import { ChannelSlots } from './channel-slots.js';
import type { SshTarget } from './ssh-target.js';

/** One pooled connection and the channels running on it. */
export interface PooledConnection<C> {
  readonly conn: C;
  /** Closed once the connection died or was disposed; waiters then give up. */
  readonly slots: ChannelSlots;
  idleTimer: NodeJS.Timeout | undefined;
  /**
   * Set once a channel has opened on it: from then on a connection-level failure may mean that the
   * connection went stale (the node's sshd restarted, the node rebooted), not that the node is down.
   */
  served: boolean;
}

export interface ConnectionPoolOptions<C> {
  /** Opens a connection to `target`; calls `lost` whenever that connection later dies. */
  readonly open: (target: SshTarget, lost: () => void) => Promise<C>;
  /** Targets with the same key share one connection. */
  readonly key: (target: SshTarget) => string;
  /** Channels open at once per connection, unless the server accepts fewer. */
  readonly maxChannels: number;
  /** A connection is closed after this long with no channel. */
  readonly idleCloseMs: number;
  /** Refusal when the pool is shutting down. */
  readonly shuttingDown: (target: SshTarget) => Error;
}

/**
 * One connection per key, opened on first use and shared by every caller; a failed open is not
 * cached, so the next caller tries again. At most `maxChannels` channels run on a connection at
 * once (fewer if the server refuses more, see ChannelSlots), the rest wait in order. A connection
 * unused for `idleCloseMs` is closed.
 */
export class ConnectionPool<C extends { dispose(): void }> {
  private readonly pool = new Map<string, Promise<PooledConnection<C>>>();
  /** The connection each pending entry above resolved to, so that a dead one is evicted at once. */
  private readonly current = new Map<string, PooledConnection<C>>();
  private closing = false;

  constructor(private readonly opts: ConnectionPoolOptions<C>) {}

  /** The pooled connection for `target`, opening it if there is none. */
  connection(target: SshTarget): Promise<PooledConnection<C>> {
    if (this.closing) return Promise.reject(this.opts.shuttingDown(target));
    const key = this.opts.key(target);
    let pending = this.pool.get(key);
    if (!pending) {
      pending = this.open(target, key);
      this.pool.set(key, pending);
      pending.catch(() => {
        if (this.pool.get(key) === pending) this.pool.delete(key);
      });
    }
    return pending;
  }

  private async open(target: SshTarget, key: string): Promise<PooledConnection<C>> {
    let pooled: PooledConnection<C> | undefined;
    let lostWhileOpening = false;
    const conn = await this.opts.open(target, () => {
      if (pooled) this.drop(key, pooled);
      else lostWhileOpening = true;
    });
    pooled = { conn, slots: new ChannelSlots(this.opts.maxChannels), idleTimer: undefined, served: false };
    this.current.set(key, pooled);
    if (lostWhileOpening) this.drop(key, pooled);
    return pooled;
  }

  private drop(key: string, pooled: PooledConnection<C>): void {
    pooled.slots.close();
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    if (this.current.get(key) === pooled) {
      this.current.delete(key);
      this.pool.delete(key);
    }
  }

  /**
   * Takes a connection found dead out of the pool now, before its socket reports the close, so the
   * next caller gets a fresh one; its waiters give up.
   */
  retire(target: SshTarget, pooled: PooledConnection<C>): void {
    this.drop(this.opts.key(target), pooled);
    pooled.conn.dispose();
  }

  /**
   * Waits for a free channel slot on the connection; false if the connection closed meanwhile.
   * `first`: the caller keeps its turn (it was sent back by a refusal).
   */
  async takeSlot(pooled: PooledConnection<C>, first = false): Promise<boolean> {
    if (!(await pooled.slots.take(first))) return false;
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    return true;
  }

  /** Gives a slot back, lets the next waiter in, and starts the idle timer when none is left. */
  releaseSlot(target: SshTarget, pooled: PooledConnection<C>): void {
    pooled.slots.give();
    this.touch(target, pooled);
  }

  /** (Re)starts the idle timer of a connection that has no channel. */
  touch(target: SshTarget, pooled: PooledConnection<C>): void {
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    if (pooled.slots.idle && !pooled.slots.closed) {
      pooled.idleTimer = setTimeout(() => {
        const key = this.opts.key(target);
        if (this.current.get(key) === pooled && pooled.slots.idle) {
          this.current.delete(key);
          this.pool.delete(key);
          pooled.conn.dispose();
        }
      }, this.opts.idleCloseMs);
      pooled.idleTimer.unref();
    }
  }

  /** Closes every connection; later calls are refused. */
  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.pool.values()];
    this.pool.clear();
    this.current.clear();
    for (const pending of all) {
      const pooled = await pending.catch(() => undefined);
      if (!pooled) continue;
      if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
      pooled.conn.dispose();
    }
  }
}
