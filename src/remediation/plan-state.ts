/**
 * The approval state machine, defined once. The store's Lua gates make these moves atomically (see
 * src/store/plan-store.ts); the table says which moves exist at all.
 *
 *   proposed → approved | rejected | expired      (a decision, once, before the approval expires)
 *   approved → running | expired                  (the executor's own gate, once; an approval no
 *                                                  worker started within the start window expires)
 *   running  → done | failed | interrupted | stopped
 *
 * interrupted: the executor lost the run (its worker died, or its heartbeat lapsed and another
 * worker declared it dead); stopped: the executor stopped it on purpose at a step boundary (its
 * worker shutting down, the root cause no longer there). Neither is ever re-run.
 */
export const PLAN_TRANSITIONS = {
  proposed: ['approved', 'rejected', 'expired'],
  approved: ['running', 'expired'],
  rejected: [],
  expired: [],
  running: ['done', 'failed', 'interrupted', 'stopped'],
  done: [],
  failed: [],
  interrupted: [],
  stopped: [],
} as const satisfies Record<string, readonly string[]>;

export type PlanState = keyof typeof PLAN_TRANSITIONS;

/** The states `from` may move to. */
export type NextState<From extends PlanState> = (typeof PLAN_TRANSITIONS)[From][number];

/** Every allowed move, as a [from, to] pair. */
export type PlanTransition = { [S in PlanState]: readonly [S, NextState<S>] }[PlanState];

export function isPlanState(value: string): value is PlanState {
  return Object.hasOwn(PLAN_TRANSITIONS, value);
}
