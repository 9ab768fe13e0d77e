import type { Remedy } from '../diagnosis/remedy.js';
import type { BackupTarget } from './backup-policy.js';
import type { StepDraft } from './plan-step.js';

export type RemedyKind = Remedy['kind'];
export type RemedyOf<K extends RemedyKind> = Extract<Remedy, { kind: K }>;

/** What a rollback needs to know about the plan it undoes. */
export interface RollbackContext {
  readonly planId: string;
  readonly backupDir: string;
  /** A rollback is gated as hard as the plan it undoes. */
  readonly destructive: boolean;
}

/** How one remedy kind is fixed, and undone from its backup. Pure. */
export interface Runbook<K extends RemedyKind> {
  /** The narrow fix: back up what changes (pruning older backups), change only that, check it. */
  steps(remedy: RemedyOf<K>, backup: BackupTarget): StepDraft[];
  /** Put back what `steps` changed, from the backup `steps` made. */
  rollback(remedy: RemedyOf<K>, from: RollbackContext): StepDraft[];
}

/** One runbook per remedy kind: a kind without one fails the typecheck. */
export type RunbookRegistry = { readonly [K in RemedyKind]: Runbook<K> };
