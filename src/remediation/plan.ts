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
  /**
   * sha256 over everything that decides what runs (plan-hash.ts): an approval is for exactly these
   * commands. Always recomputed from the steps before it is trusted.
   */
  readonly hash: string;
  /** HMAC-SHA256 of `hash` with NETCHECK_PLAN_KEY (plan-signer.ts): a worker built this plan. */
  readonly signature?: string | undefined;
  readonly createdAt: string;
  /** When the approval window closes (ISO). Signed: no edit in Redis can make a plan run later. */
  readonly expiresAt: string;
  /** What the plan fixes, kept so a rollback can be derived from it. */
  readonly remedy: Remedy;
  /** Set on a rollback plan: the plan whose changes it undoes. */
  readonly rollbackOf?: string | undefined;
}
