import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Plan } from './plan.js';
import { type HashedPlan, planHash } from './plan-hash.js';

/** Why a stored plan is not one a worker signed, as it stands. */
export type SignatureProblem = 'unsigned' | 'bad-signature';

/**
 * Signs plans with NETCHECK_PLAN_KEY, which only workers hold (DESIGN.md, threat model): whoever
 * can write to Redis (a compromised bot, say) can change a stored plan, but cannot sign the change.
 */
export interface PlanSigner {
  /** The plan with its hash recomputed from its steps and that hash signed. */
  sign(plan: HashedPlan): Plan;
  /** Recomputes the hash from the plan's steps and checks the signature over it. */
  verify(plan: Plan): { ok: true; hash: string } | { ok: false; problem: SignatureProblem; hash: string };
}

const DOMAIN = 'netcheck plan signature v1\n';

export function createPlanSigner(key: string): PlanSigner {
  if (key.length < 32)
    throw Object.assign(
      new Error(
        'NETCHECK_PLAN_KEY is shorter than 32 characters; set a long random secret (openssl rand -hex 32)',
      ),
      { code: 'plan-key-too-short' },
    );
  const mac = (hash: string) =>
    createHmac('sha256', key)
      .update(DOMAIN + hash)
      .digest();
  return {
    sign(plan) {
      const { hash: _h, signature: _s, ...rest } = plan as Plan;
      const hash = planHash(rest);
      return { ...rest, hash, signature: mac(hash).toString('hex') };
    },
    verify(plan) {
      const { hash: _h, signature, ...rest } = plan;
      const hash = planHash(rest);
      if (typeof signature !== 'string' || signature.length === 0)
        return { ok: false, problem: 'unsigned', hash };
      const given = Buffer.from(signature, 'hex');
      const expected = mac(hash);
      // Constant time: how much of a forged signature matched must not leak through timing.
      const ok = given.length === expected.length && timingSafeEqual(given, expected);
      return ok ? { ok: true, hash } : { ok: false, problem: 'bad-signature', hash };
    },
  };
}
