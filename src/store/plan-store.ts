import type { Redis } from 'ioredis';
import type { Plan } from '../remediation/plan.js';
import type {
  BeginRunResult,
  DecideResult,
  PlanRepository,
  StepStatus,
  StoredPlan,
} from '../remediation/plan-repository.js';
import { isPlanState, type NextState, type PlanState } from '../remediation/plan-state.js';
import type { PlanStep } from '../remediation/plan-step.js';
import { KEY_PREFIX } from './redis-keys.js';

export const APPROVAL_TTL_MS = 15 * 60 * 1000;
const RUNNING_SET = `${KEY_PREFIX}:plans:running`;

// Each script below makes one move of the state machine in remediation/plan-state.ts atomically and
// replies with a typed result code as an array: {code} or {code, state}.

// One atomic decision: only a proposed, unexpired plan with the same hash can be decided, once.
// A plan that needs two approvers (ARGV[6]) records the first and is approved by a second, different one.
const DECIDE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing'} end
if state ~= 'proposed' then return {'already-decided', state} end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'expired')
  return {'expired'}
end
if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[1] then return {'hash-mismatch'} end
if ARGV[4] == 'approved' and tonumber(ARGV[6]) > 1 then
  local first = redis.call('HGET', KEYS[1], 'firstApprover')
  if not first then
    redis.call('HSET', KEYS[1], 'firstApprover', ARGV[2], 'firstApprovedAt', ARGV[5])
    return {'first-approval'}
  end
  if first == ARGV[2] then return {'same-approver'} end
  redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedBy', first .. ',' .. ARGV[2], 'decidedAt', ARGV[5])
  return {'approved'}
end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'decidedBy', ARGV[2], 'decidedAt', ARGV[5])
return {ARGV[4]}`;

// approved → running, once: the executor's own gate, whatever called it.
const BEGIN = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'not-approved'} end
if state ~= 'approved' then return {'not-approved', state} end
if redis.call('HGET', KEYS[1], 'hash') ~= ARGV[1] then return {'hash-mismatch'} end
redis.call('HSET', KEYS[1], 'state', 'running')
redis.call('SADD', KEYS[2], ARGV[2])
return {'running'}`;

// running → interrupted, once, and only when no executor has shown a heartbeat lately.
const INTERRUPT = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 'no' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'alive' end
redis.call('HSET', KEYS[1], 'state', 'interrupted')
redis.call('SREM', KEYS[2], ARGV[1])
return 'ok'`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

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

  async beginRun(planId: string, hash: string): Promise<BeginRunResult> {
    const [code, state] = (await this.redis.eval(BEGIN, 2, this.key(planId), RUNNING_SET, hash, planId)) as [
      string,
      string | undefined,
    ];
    switch (code) {
      case 'running':
      case 'hash-mismatch':
        return { code };
      case 'not-approved':
        return { code, state: state === undefined ? undefined : planState(state, planId) };
    }
    throw unexpectedReply('beginRun', planId, code);
  }

  /** Proof of life while a plan runs; a run without one is taken as interrupted. */
  async heartbeat(planId: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${KEY_PREFIX}:plan-alive:${planId}`, '1', 'PX', ttlMs);
  }

  /** Runs whose executor died: each is claimed by exactly one caller. */
  async claimInterrupted(): Promise<string[]> {
    const claimed: string[] = [];
    for (const planId of await this.redis.smembers(RUNNING_SET)) {
      const r = await this.redis.eval(
        INTERRUPT,
        3,
        this.key(planId),
        RUNNING_SET,
        `${KEY_PREFIX}:plan-alive:${planId}`,
        planId,
      );
      if (r === 'ok') claimed.push(planId);
      if (r === 'no') await this.redis.srem(RUNNING_SET, planId);
    }
    return claimed;
  }

  async markStep(planId: string, n: number, status: StepStatus): Promise<void> {
    await this.redis.hset(this.key(planId), `step:${n}`, status);
  }

  async finish(planId: string, state: Exclude<NextState<'running'>, 'interrupted'>): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(planId), 'state', state)
      .srem(RUNNING_SET, planId)
      .del(`${KEY_PREFIX}:plan-alive:${planId}`)
      .exec();
  }

  /** Per-node lock: SET NX PX plus compare-and-delete, so two plans never run on one node at once. */
  async lockNode(node: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${KEY_PREFIX}:lock:node:${node}`, owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlockNode(node: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, `${KEY_PREFIX}:lock:node:${node}`, owner);
  }
}

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
