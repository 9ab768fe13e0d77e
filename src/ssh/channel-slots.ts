/** What to do after the server refused to open a session channel (see ChannelSlots.refused). */
export type RefusalVerdict =
  /** The server is at its limit with our other channels: queue until one of them ends. */
  | { readonly action: 'wait-for-slot'; readonly firstRefusal: boolean }
  /** No other channel of ours is open, so this refusal should pass: try again shortly. */
  | { readonly action: 'retry'; readonly afterMs: number }
  /** The server refuses even a single channel: report it. */
  | { readonly action: 'give-up' };

const RETRY_START_MS = 25;
const RETRY_CAP_MS = 1000;
/** Retries of a refusal with no other channel of ours, before giving up: 25+50+…+800 ms, 1.6 s in all. */
const RETRIES_WITH_NOTHING_OPEN = 6;

/**
 * The channel slots of one connection: at most `max` channels at once, fewer once the server has
 * shown that it accepts fewer. OpenSSH refuses a session channel beyond its MaxSessions (default
 * 10, often lowered) with "Channel open failure: open failed"; such a channel never reached the
 * point of sending a command, so opening it again later is safe. A refusal while `n` other channels
 * of ours are open or opening teaches the connection that the server takes at most `n` at once;
 * later callers then queue here instead of being refused.
 */
export class ChannelSlots {
  /** Slots taken: channels opening or open. */
  private active = 0;
  private readonly max: number;
  private limit: number;
  private shut = false;
  /** Callers waiting for a slot, in order; each is handed its slot directly (true) or told of the close. */
  private readonly waiting: ((taken: boolean) => void)[] = [];

  constructor(max: number) {
    this.max = max;
    this.limit = max;
  }

  get idle(): boolean {
    return this.active === 0;
  }

  get closed(): boolean {
    return this.shut;
  }

  /**
   * Takes a free slot, waiting in order for one; false if the connection closed meanwhile. `first`
   * puts the caller at the head of the queue: a caller sent back by a refusal keeps its turn.
   */
  take(first = false): Promise<boolean> {
    if (this.shut) return Promise.resolve(false);
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active += 1;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      if (first) this.waiting.unshift(resolve);
      else this.waiting.push(resolve);
    });
  }

  /** Gives a slot back; the next waiter gets it if the limit allows. */
  give(): void {
    this.active -= 1;
    // Handed over directly, so that a caller arriving meanwhile cannot take it out of turn.
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active += 1;
      this.waiting.shift()?.(true);
    }
  }

  /**
   * The server refused a channel on a slot we hold. `retries`: how often this caller was already
   * told to retry (refused with no other channel of ours).
   */
  refused(retries: number): RefusalVerdict {
    // The other slots: channels open, or opening. ssh2 reports a channel only once its command was
    // accepted, so "open" cannot be told from "opening"; counting both overestimates what the
    // server holds, and the refusals still on their way lower the limit the rest of the way.
    const others = this.active - 1;
    if (others > 0) {
      const firstRefusal = this.limit === this.max;
      this.limit = Math.min(this.limit, others);
      return { action: 'wait-for-slot', firstRefusal };
    }
    // No other channel of ours holds a session, so the refusal is not about our load: a session we
    // closed a moment ago may not be freed on the server yet. Try a few times, then report it.
    if (retries >= RETRIES_WITH_NOTHING_OPEN) return { action: 'give-up' };
    return { action: 'retry', afterMs: Math.min(RETRY_START_MS * 2 ** retries, RETRY_CAP_MS) };
  }

  /** The connection is gone: every waiter gives up. */
  close(): void {
    this.shut = true;
    for (const wake of this.waiting.splice(0)) wake(false);
  }
}
