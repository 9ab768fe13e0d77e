import type { Remedy } from '../diagnosis/remedy.js';

/** One step of a fix: the exact command, where it runs, and how its effect is checked. */
export interface PlanStep {
  readonly n: number;
  readonly node: string;
  readonly title: string;
  readonly command: string;
  /** Exits 0 when the step had its effect. */
  readonly check: string;
  readonly destructive: boolean;
  readonly timeoutMs: number;
  /**
   * 'join': the executor fetches a fresh join command on `joinFrom` (the control plane) and runs it on
   * `node`. The command holds a bootstrap token, so it is never shown, logged or stored.
   * 'drain': the executor cordons `node`, evicts its pods and deletes the node object through the
   * Kubernetes API; when the API does not answer, the step says so and the plan goes on over SSH.
   */
  readonly kind?: 'join' | 'drain' | undefined;
  readonly joinFrom?: string | undefined;
}

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

export type PlanState =
  | 'proposed'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'running'
  | 'done'
  | 'failed'
  | 'interrupted';
