import type { Remedy } from '../diagnosis/remedy.js';
import type { PlanStep } from './plan-step.js';

export interface Plan {
  readonly planId: string;
  readonly runId: string;
  readonly causeId: string;
  readonly node: string;
  readonly requestedBy: string;
  readonly steps: readonly PlanStep[];
  readonly destructive: boolean;
  /** Where the backup of what the plan changes goes, on the node. */
  readonly backupDir: string;
  /** sha256 over the steps: an approval is for exactly these commands. */
  readonly hash: string;
  readonly createdAt: string;
  /** What the plan fixes, kept so a rollback can be derived from it. */
  readonly remedy: Remedy;
  /** Set on a rollback plan: the plan whose changes it undoes. */
  readonly rollbackOf?: string | undefined;
}
