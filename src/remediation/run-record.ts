import type { Plan } from './plan.js';

/** A step the executor ran in this run, and whether it did its work. */
export interface RanStep {
  readonly n: number;
  readonly ok: boolean;
}

/**
 * Which steps ran and which did not, in the words the thread and the audit log use: what a person
 * needs to judge a run that stopped before its end.
 */
export function ranAndNotRun(
  plan: Plan,
  ran: readonly RanStep[],
): { readonly text: string; readonly ran: number[]; readonly notRun: number[] } {
  const done = new Set(ran.map((s) => s.n));
  const notRun = plan.steps.map((s) => s.n).filter((n) => !done.has(n));
  const ranText =
    ran.length === 0 ? 'none' : ran.map((s) => `step ${s.n} (${s.ok ? 'done' : 'failed'})`).join(', ');
  const notRunText =
    notRun.length === 0 ? 'none' : `${notRun.length === 1 ? 'step' : 'steps'} ${notRun.join(', ')}`;
  return { text: `Ran: ${ranText}. Not run: ${notRunText}.`, ran: ran.map((s) => s.n), notRun };
}
