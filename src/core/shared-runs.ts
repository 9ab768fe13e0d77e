/**
 * Identical runs requested close together share one: a caller joins the run of the same key that is
 * in flight when that run started at most `windowMs` ago. A caller too late for it gets the key's
 * next run, which starts as soon as the one in flight has settled and which every caller arriving
 * meanwhile shares. So a key has at most one run in flight and one waiting, however many callers
 * come, and no caller gets a run that started more than `windowMs` before it asked.
 *
 * Every caller awaits the run itself: a failed run fails each caller that joined it, and the next
 * call starts afresh (a settled run is never reused).
 */
export interface SharedRuns<T> {
  run(key: string, start: () => Promise<T>): Promise<T>;
}

export function sharedRuns<T>(opts: { windowMs: number; monotonicMs: () => number }): SharedRuns<T> {
  const inFlight = new Map<string, { startedMs: number; run: Promise<T> }>();
  const waiting = new Map<string, Promise<T>>();
  const begin = (key: string, start: () => Promise<T>): Promise<T> => {
    const run = start();
    inFlight.set(key, { startedMs: opts.monotonicMs(), run });
    const forget = () => {
      if (inFlight.get(key)?.run === run) inFlight.delete(key);
    };
    // Every caller awaits `run` itself and sees its error; this only cleans up.
    run.then(forget, forget);
    return run;
  };
  return {
    run(key, start) {
      const current = inFlight.get(key);
      if (!current) return begin(key, start);
      if (opts.monotonicMs() - current.startedMs <= opts.windowMs) return current.run;
      let next = waiting.get(key);
      if (!next) {
        // Starts once the run in flight has settled (and forgotten itself), whatever its outcome.
        next = current.run
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => {
            waiting.delete(key);
            return begin(key, start);
          });
        waiting.set(key, next);
      }
      return next;
    },
  };
}
