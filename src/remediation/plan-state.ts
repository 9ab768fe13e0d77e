/**
 * The approval state machine, defined once. The store's Lua gates make these moves atomically (see
 * src/store/plan-store.ts); the table says which moves exist at all.
 *
 *   proposed → approved | rejected | expired      (a decision, once, before the approval expires)
 *   approved → running                            (the executor's own gate, once)
 *   running  → done | failed | interrupted        (interrupted: its worker died; never re-run)
 */
export const PLAN_TRANSITIONS = {
  proposed: ['approved', 'rejected', 'expired'],
  approved: ['running'],
  rejected: [],
  expired: [],
  running: ['done', 'failed', 'interrupted'],
  done: [],
  failed: [],
  interrupted: [],
} as const satisfies Record<string, readonly string[]>;

export type PlanState = keyof typeof PLAN_TRANSITIONS;

/** The states `from` may move to. */
export type NextState<From extends PlanState> = (typeof PLAN_TRANSITIONS)[From][number];

/** Every allowed move, as a [from, to] pair. */
export type PlanTransition = { [S in PlanState]: readonly [S, NextState<S>] }[PlanState];

export function isPlanState(value: string): value is PlanState {
  return Object.hasOwn(PLAN_TRANSITIONS, value);
}
