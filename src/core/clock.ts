/**
 * The one source of time. Created once in `main.ts` (`systemClock`) and passed down, so a test can
 * swap it and nothing below reads the wall clock by itself (house rule 1).
 */
export interface Clock {
  /** Milliseconds since the epoch (what TTLs, expiries and Redis scores use). */
  now(): number;
  /** The same instant as an ISO-8601 string (what records and audit entries carry). */
  isoNow(): string;
  /** A monotonic reading for durations; never compare it with `now()`. */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  isoNow: () => new Date().toISOString(),
  monotonicMs: () => performance.now(),
};

/** A clock that stands still until a test moves it. */
export function fixedClock(startMs: number): Clock & { advance(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    isoNow: () => new Date(current).toISOString(),
    monotonicMs: () => current,
    advance: (ms: number) => {
      current += ms;
    },
  };
}
