import type { Redis } from 'ioredis';
import type { Plan } from '../remediation/plan.js';
import type {
  BeginRunResult,
  DecideResult,
  FenceResult,
  PlanRepository,
  RunEnd,
  RunLease,
  StartRunResult,
  StepStatus,
  StoredPlan,
} from '../remediation/plan-repository.js';
import { isPlanState, type NextState, type PlanState } from '../remediation/plan-state.js';
import type { PlanStep } from '../remediation/plan-step.js';
import { DECIDE, FINISH, INTERRUPT, MARK, RELEASE, RENEW, START } from './plan-scripts.js';
import { KEY_PREFIX } from './redis-keys.js';

export const APPROVAL_TTL_MS = 15 * 60 * 1000;
const RUNNING_SET = `${KEY_PREFIX}:plans:running`;
/** One counter for every run's fencing token, so tokens only ever grow. */
const TOKEN_COUNTER = `${KEY_PREFIX}:run-token`;
/** What `beginRun` (no lease) gives a run as heartbeat: the executor's default. */
const BEGIN_HEARTBEAT_TTL_MS = 6000;

/** Plans, their approval state machine and step checkpoints, in Redis. */
export class PlanStore implements PlanRepository {
  constructor(private readonly redis: Redis) {}

  private key(planId: string): string {
    return `${KEY_PREFIX}:plan:${planId}`;
  }

  async save(plan: Plan, nowMs: number): Promise<void> {
    const key = this.key(plan.planId);
    await this.redis
      .multi()
      .hset(key, {
        plan: JSON.stringify(plan),
        hash: plan.hash,
        state: 'proposed',
        expiresAt: String(nowMs + APPROVAL_TTL_MS),
      })
      .expire(key, 30 * 24 * 3600)
      .exec();
  }

  async get(planId: string): Promise<StoredPlan | undefined> {
    const h = await this.redis.hgetall(this.key(planId));
    if (!h.plan) return undefined;
    const steps: Record<number, StepStatus> = {};
    for (const [k, v] of Object.entries(h))
      if (k.startsWith('step:')) steps[Number(k.slice(5))] = v as StepStatus;
    return {
      plan: withStepKinds(JSON.parse(h.plan) as Plan),
      state: planState(h.state ?? 'proposed', planId),
      decidedBy: h.decidedBy,
      decidedAt: h.decidedAt,
      expiresAt: Number(h.expiresAt),
      steps,
    };
  }

  async decide(
    planId: string,
    hash: string,
    user: string,
    decision: Exclude<NextState<'proposed'>, 'expired'>,
    nowMs: number,
    iso: string,
    approvalsNeeded: 1 | 2 = 1,
  ): Promise<DecideResult> {
    const [code, state] = (await this.redis.eval(
      DECIDE,
      1,
      this.key(planId),
      hash,
      user,
      String(nowMs),
      decision,
      iso,
      String(approvalsNeeded),
    )) as [string, string | undefined];
    switch (code) {
      case 'approved':
      case 'rejected':
      case 'first-approval':
      case 'missing':
      case 'expired':
      case 'hash-mismatch':
      case 'same-approver':
        return { code };
      case 'already-decided':
        return { code, state: planState(state ?? '', planId) };
    }
    throw unexpectedReply('decide', planId, code);
  }

  /** The executor's gate: see PlanRepository.startRun and START in plan-scripts.ts. */
  async startRun(planId: string, hash: string, lease: RunLease): Promise<StartRunResult> {
    const [code, detail] = (await this.redis.eval(
      START,
      5,
      this.key(planId),
      RUNNING_SET,
      aliveKey(planId),
      lockKey(lease.node),
      TOKEN_COUNTER,
      hash,
      planId,
      String(lease.nowMs),
      String(lease.startWindowMs),
      String(lease.heartbeatTtlMs),
      String(lease.lockTtlMs),
    )) as [string, string | undefined];
    switch (code) {
      case 'running':
        return { code, token: detail ?? '' };
      case 'locked':
      case 'hash-mismatch':
        return { code };
      case 'approval-expired':
        return { code, approvedAtMs: detail ? Number(detail) : undefined };
      case 'not-approved':
        return { code, state: detail === undefined ? undefined : planState(detail, planId) };
    }
    throw unexpectedReply('startRun', planId, code);
  }

  /**
   * approved → running without a lease: no node lock, no start window. For tools and the store's
   * own tests; the executor starts runs with startRun.
   */
  async beginRun(planId: string, hash: string): Promise<BeginRunResult> {
    const result = await this.startRun(planId, hash, {
      node: '',
      nowMs: 0,
      startWindowMs: 0,
      heartbeatTtlMs: BEGIN_HEARTBEAT_TTL_MS,
      lockTtlMs: 0,
    });
    if (result.code === 'running') return { code: 'running' };
    if (result.code === 'hash-mismatch' || result.code === 'not-approved') return result;
    throw unexpectedReply('beginRun', planId, result.code);
  }

  async renew(planId: string, token: string, lease: RunLease): Promise<FenceResult> {
    return this.fence(planId, token, lease, []);
  }

  async claimStep(planId: string, token: string, n: number, lease: RunLease): Promise<FenceResult> {
    return this.fence(planId, token, lease, [String(n)]);
  }

  private async fence(planId: string, token: string, lease: RunLease, step: string[]): Promise<FenceResult> {
    const reply = (await this.redis.eval(
      RENEW,
      3,
      this.key(planId),
      aliveKey(planId),
      lockKey(lease.node),
      token,
      lockOwner(planId, token),
      String(lease.heartbeatTtlMs),
      String(lease.lockTtlMs),
      ...step,
    )) as [string, string | undefined];
    return this.fenceResult('renew', planId, reply);
  }

  async markStep(
    planId: string,
    token: string,
    n: number,
    status: Exclude<StepStatus, 'started'>,
  ): Promise<boolean> {
    return (await this.redis.eval(MARK, 1, this.key(planId), token, String(n), status)) === 1;
  }

  async finish(planId: string, token: string, end: RunEnd, lease: RunLease): Promise<FenceResult> {
    const reply = (await this.redis.eval(
      FINISH,
      4,
      this.key(planId),
      RUNNING_SET,
      aliveKey(planId),
      lockKey(lease.node),
      token,
      lockOwner(planId, token),
      end,
      planId,
    )) as [string, string | undefined];
    return this.fenceResult('finish', planId, reply);
  }

  private fenceResult(
    what: string,
    planId: string,
    [code, state]: [string, string | undefined],
  ): FenceResult {
    switch (code) {
      case 'ok':
        return { code: 'ok' };
      case 'token':
      case 'lock':
        return { code: 'lost', reason: code };
      case 'state':
        return { code: 'lost', reason: 'state', state: state ? planState(state, planId) : undefined };
    }
    throw unexpectedReply(what, planId, code);
  }

  /** Runs whose executor showed no heartbeat lately: each is claimed by exactly one caller. */
  async claimInterrupted(): Promise<string[]> {
    const claimed: string[] = [];
    for (const planId of await this.redis.smembers(RUNNING_SET)) {
      const node = await this.nodeOf(planId);
      const r = await this.redis.eval(
        INTERRUPT,
        4,
        this.key(planId),
        RUNNING_SET,
        aliveKey(planId),
        node === undefined ? `${KEY_PREFIX}:lock:none` : lockKey(node),
        planId,
      );
      if (r === 'ok') claimed.push(planId);
      if (r === 'no') await this.redis.srem(RUNNING_SET, planId);
    }
    return claimed;
  }

  private async nodeOf(planId: string): Promise<string | undefined> {
    const raw = await this.redis.hget(this.key(planId), 'plan');
    return raw ? (JSON.parse(raw) as Plan).node : undefined;
  }

  /** Per-node lock: SET NX PX plus compare-and-delete. Runs take it through startRun. */
  async lockNode(node: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(lockKey(node), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlockNode(node: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, lockKey(node), owner);
  }
}

const aliveKey = (planId: string) => `${KEY_PREFIX}:plan-alive:${planId}`;
export const lockKey = (node: string) => `${KEY_PREFIX}:lock:node:${node}`;
/** The node lock's value while a run holds it: the plan and the run's fencing token. */
const lockOwner = (planId: string, token: string) => `${planId}#${token}`;

function planState(value: string, planId: string): PlanState {
  if (isPlanState(value)) return value;
  throw unexpectedReply('state', planId, value);
}

/**
 * Plans stored before steps had a kind: a step without one was a shell step. Their hash was made
 * over the same command texts, so the approval still binds them.
 */
function withStepKinds(plan: Plan): Plan {
  const steps = plan.steps.map((s) =>
    (s as Partial<PlanStep>).kind ? s : ({ ...s, kind: 'shell' } as PlanStep),
  );
  return { ...plan, steps };
}

function unexpectedReply(what: string, planId: string, reply: string): Error {
  return Object.assign(
    new Error(
      `plan ${planId}: Redis answered ${what} with "${reply}", which this version of netcheck does not know; check that every worker and bot run the same version`,
    ),
    { code: 'plan-store-unexpected-reply' },
  );
}
