import type { Plan } from './plan.js';
import type { NextState, PlanState } from './plan-state.js';

export type StepStatus = 'started' | 'done' | 'failed';

export interface StoredPlan {
  readonly plan: Plan;
  readonly state: PlanState;
  readonly decidedBy: string | undefined;
  readonly decidedAt: string | undefined;
  readonly expiresAt: number;
  /** Checkpoints by step number; a step without one never started. */
  readonly steps: Readonly<Record<number, StepStatus>>;
}

/** Why a decision changed nothing. */
export type DecisionRefusal =
  | { readonly code: 'missing' }
  | { readonly code: 'expired' }
  /** The plan shown (and clicked) is not the plan stored. */
  | { readonly code: 'hash-mismatch' }
  /** The first of two approvers clicked Approve again. */
  | { readonly code: 'same-approver' }
  /** A second click, or a click after someone else decided. */
  | { readonly code: 'already-decided'; readonly state: PlanState };

export type DecideResult =
  | { readonly code: 'approved' }
  | { readonly code: 'rejected' }
  /** One of two approvals recorded; nothing runs until a second, different approver approves. */
  | { readonly code: 'first-approval' }
  | DecisionRefusal;

/** Why the executor's gate refused to start a run. */
export type BeginRunRefusal =
  | { readonly code: 'hash-mismatch' }
  /** `state` is undefined when the plan no longer exists. */
  | { readonly code: 'not-approved'; readonly state: PlanState | undefined };

export type BeginRunResult = { readonly code: 'running' } | BeginRunRefusal;

/**
 * Plans, their approval state machine (plan-state.ts) and step checkpoints. Declared here, where it
 * is used; implemented over Redis in src/store/plan-store.ts, whose scripts make each move atomic.
 */
export interface PlanRepository {
  /** Stores a new plan as proposed; its approval expires after the store's approval TTL. */
  save(plan: Plan, nowMs: number): Promise<void>;
  get(planId: string): Promise<StoredPlan | undefined>;
  /**
   * proposed → approved | rejected (or expired, when it is too late), once, only for the same hash.
   * A plan that needs two approvers records the first and is approved by a second, different one.
   */
  decide(
    planId: string,
    hash: string,
    user: string,
    decision: Exclude<NextState<'proposed'>, 'expired'>,
    nowMs: number,
    iso: string,
    approvalsNeeded?: 1 | 2,
  ): Promise<DecideResult>;
  /** approved → running, once, only for the same hash: the executor's own gate. */
  beginRun(planId: string, hash: string): Promise<BeginRunResult>;
  /** Proof of life while a plan runs; a run without one is taken as interrupted. */
  heartbeat(planId: string, ttlMs: number): Promise<void>;
  /** running → interrupted for runs whose executor died: each is claimed by exactly one caller. */
  claimInterrupted(): Promise<string[]>;
  markStep(planId: string, n: number, status: StepStatus): Promise<void>;
  /** running → done | failed. */
  finish(planId: string, state: Exclude<NextState<'running'>, 'interrupted'>): Promise<void>;
  /** Per-node lock, so two plans never run on one node at once; only its owner releases it. */
  lockNode(node: string, owner: string, ttlMs: number): Promise<boolean>;
  unlockNode(node: string, owner: string): Promise<void>;
}

/**
 * The short code audit entries and the executor's refusal message carry (`hash`, `expired`,
 * `state:approved`…): the same words they carried before results were typed, so old and new
 * audit entries read alike.
 */
export function refusalCode(refusal: DecisionRefusal | BeginRunRefusal): string {
  switch (refusal.code) {
    case 'hash-mismatch':
      return 'hash';
    case 'already-decided':
    case 'not-approved':
      return `state:${refusal.state ?? 'missing'}`;
    case 'missing':
    case 'expired':
    case 'same-approver':
      return refusal.code;
  }
}
