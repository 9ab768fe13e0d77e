import type { ProblemRecord } from '../store/sweep-state-store.js';

/** What one sweep saw of a problem (node + catalog id). */
export type Observation =
  | {
      readonly kind: 'seen';
      readonly node: string;
      readonly causeId: string;
      readonly fingerprint: string;
      readonly headline: string;
      readonly seenVia: readonly string[];
    }
  /** Looked for, where it was seen before, and not there. */
  | { readonly kind: 'absent' }
  /** Could not be looked for this time (the node, or the node that showed it, was not reached). */
  | { readonly kind: 'unobserved' };

export type FlapAction = ProblemRecord['lastAction'];

export interface FlapContext {
  readonly sweepId: string;
  readonly now: string;
  /** The run id an announcement gets (deterministic per sweep and problem, so a re-run reuses it). */
  readonly runId: string;
}

/**
 * The flap filter (pure): a problem must be seen on two consecutive sweeps to be announced and be
 * absent on two to be resolved. An unobserved sweep changes nothing (an unreachable node must not
 * resolve its problems). A sweep that is run again (its job stalled and was retried) repeats the
 * action it took the first time instead of counting twice; its side effects are idempotent.
 *
 *   none    --seen-->   pending
 *   pending --seen-->   open      (announce)      pending --absent--> none
 *   open    --seen-->   open      (update, if it looks different)
 *   open    --absent--> clearing                  clearing --seen--> open (update, if different)
 *   clearing --absent--> resolved (resolve; the record is dropped by the next sweep)
 */
export function nextProblemState(
  key: string,
  previous: ProblemRecord | undefined,
  seen: Observation,
  ctx: FlapContext,
): { readonly next: ProblemRecord | undefined; readonly action: FlapAction } {
  if (previous && previous.lastSweep === ctx.sweepId) return { next: previous, action: previous.lastAction };
  const prev = previous?.phase === 'resolved' ? undefined : previous;
  if (seen.kind === 'unobserved') return { next: prev, action: 'none' };
  const moved = (record: ProblemRecord, action: FlapAction) => ({
    next: { ...record, lastSweep: ctx.sweepId, lastAction: action },
    action,
  });

  if (seen.kind === 'absent') {
    if (!prev || prev.phase === 'pending') return { next: undefined, action: 'none' };
    if (prev.phase === 'open') return moved({ ...prev, phase: 'clearing' }, 'none');
    return moved({ ...prev, phase: 'resolved' }, 'resolve');
  }

  const looks = { fingerprint: seen.fingerprint, headline: seen.headline, seenVia: seen.seenVia };
  if (!prev)
    return moved(
      {
        key,
        node: seen.node,
        causeId: seen.causeId,
        phase: 'pending',
        since: ctx.now,
        ...looks,
      } as ProblemRecord,
      'none',
    );
  if (prev.phase === 'pending')
    return moved({ ...prev, ...looks, phase: 'open', runId: ctx.runId }, 'announce');
  const changed = prev.fingerprint !== seen.fingerprint;
  return moved({ ...prev, ...looks, phase: 'open' }, changed ? 'update' : 'none');
}
