/**
 * How long an executor's claims on a run last, and how often it renews them. Production uses the
 * defaults; tests shorten them to make a step outlast the node lock without waiting minutes.
 */
export interface RunTiming {
  /** An approval that no worker started within this long expires instead of running on stale facts. */
  readonly startWindowMs: number;
  /** A run without a heartbeat this long is taken for dead by the other workers' sweep. */
  readonly heartbeatTtlMs: number;
  /** The node lock lapses this long after its last renewal (a worker that died without a sweep). */
  readonly lockTtlMs: number;
  /** How often a running executor renews lock and heartbeat between step boundaries. */
  readonly renewEveryMs: number;
}

export const DEFAULT_RUN_TIMING: RunTiming = {
  startWindowMs: 2 * 60 * 1000,
  heartbeatTtlMs: 6000,
  // Renewed every few seconds while the run lives, so it need not outlast the longest step (a reset
  // or re-init can take minutes); it only bounds how long a dead worker's node stays locked when no
  // other worker is there to sweep.
  lockTtlMs: 2 * 60 * 1000,
  renewEveryMs: 2000,
};
