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
 * What an executor claims when it starts a run, and how long each claim lasts without renewal. The
 * node lock and the heartbeat are written with the move to running, in one step, so there is no
 * moment when a run is running without proof of life or without its node.
 */
export interface RunLease {
  /** The node whose lock the run holds. */
  readonly node: string;
  readonly nowMs: number;
  /** An approval older than this when the run would start expires instead of running. */
  readonly startWindowMs: number;
  readonly heartbeatTtlMs: number;
  readonly lockTtlMs: number;
}

export type StartRunResult =
  /** `token` is this run's fencing token: every later write about the run must present it. */
  | { readonly code: 'running'; readonly token: string }
  /** Another run holds the node; this plan stays approved and nothing ran. */
  | { readonly code: 'locked' }
  /** Approved too long ago (or before approvals were timed): now expired, nothing ran. */
  | { readonly code: 'approval-expired'; readonly approvedAtMs: number | undefined }
  | BeginRunRefusal;

/** Why an executor no longer owns its run. */
export type FenceLoss =
  /** The run left `running` (another worker marked it interrupted); `state` is where it is now. */
  | { readonly code: 'lost'; readonly reason: 'state'; readonly state: PlanState | undefined }
  /** Another executor's token is on the run. */
  | { readonly code: 'lost'; readonly reason: 'token' }
  /** The node lock lapsed or is held by someone else. */
  | { readonly code: 'lost'; readonly reason: 'lock' };

export type FenceResult = { readonly code: 'ok' } | FenceLoss;

/** How a run ended, as its executor writes it (interrupted: it found it had lost its node lock). */
export type RunEnd = NextState<'running'>;

/**
 * Plans, their approval state machine (plan-state.ts) and step checkpoints. Declared here, where it
 * is used; implemented over Redis in src/store/plan-store.ts, whose scripts make each move atomic.
 * Every write about a run after it started presents the run's fencing token: an executor that lost
 * its run (declared dead while it was only slow) can no longer change it.
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
  /**
   * The executor's own gate, in one atomic step: approved → running once, only for the same hash
   * and within the start window; takes the node lock, writes the first heartbeat and issues the
   * run's fencing token.
   */
  startRun(planId: string, hash: string, lease: RunLease): Promise<StartRunResult>;
  /** Proves the run is still this executor's (running, same token, node lock) and renews lock and heartbeat. */
  renew(planId: string, token: string, lease: RunLease): Promise<FenceResult>;
  /** `renew`, then checkpoints step `n` as started, atomically: a step starts only while the run is owned. */
  claimStep(planId: string, token: string, n: number, lease: RunLease): Promise<FenceResult>;
  /** A step's outcome, recorded only by the run's token holder (even after it lost the run: it is what happened). */
  markStep(
    planId: string,
    token: string,
    n: number,
    status: Exclude<StepStatus, 'started'>,
  ): Promise<boolean>;
  /**
   * running → `end`, only for the token holder and only while still running (a run marked
   * interrupted stays interrupted); releases the node lock if this run holds it.
   */
  finish(planId: string, token: string, end: RunEnd, lease: RunLease): Promise<FenceResult>;
  /**
   * running → interrupted for runs without a heartbeat: each is claimed by exactly one caller, and
   * its node lock is released in the same step.
   */
  claimInterrupted(): Promise<string[]>;
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
