import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { Plan } from '../remediation/plan.js';

/** A sweep's problem report: narrowed to one root cause, with the fix on offer. */
export interface SweepReport extends DiagnosisReport {
  readonly plan?: Plan | undefined;
}

/**
 * What a scheduled sweep posts, through the outbox like everything else. Each problem has a run of
 * its own whose parent message is the announcement: the plan's buttons, the fix's progress and the
 * resolution all find it the way they find a `/netcheck` report.
 */
export type SweepMessage =
  /** A new problem: a top-level message in the sweep channel (the run's parent and its report). */
  | {
      readonly kind: 'sweep-problem';
      readonly runId: string;
      readonly report: SweepReport;
      readonly note: string;
    }
  /** The problem still holds but looks different (another rule, another fix): the message is redrawn in place. */
  | {
      readonly kind: 'sweep-update';
      readonly runId: string;
      readonly seq: string;
      readonly report: SweepReport;
      readonly note: string;
    }
  /** Gone on two sweeps: the message is marked resolved in place and the thread is told why. */
  | { readonly kind: 'sweep-resolved'; readonly runId: string; readonly note: string };

export const SWEEP_MESSAGE_KINDS: ReadonlySet<string> = new Set([
  'sweep-problem',
  'sweep-update',
  'sweep-resolved',
]);
