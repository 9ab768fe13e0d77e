import type { Plan } from './plan.js';
import type { PlanSigner } from './plan-signer.js';

/** The longest a plan may wait between the end of its approval window and its first step. */
export const MAX_START_AFTER_EXPIRY_MS = 2 * 60 * 1000;

export type AdmissionRefusal =
  /** No signature: no worker built this plan, or someone removed the signature. */
  | 'unsigned'
  /** The signature does not match the steps as stored: edited after a worker signed it. */
  | 'bad-signature'
  /** Signed, but not the plan the approver was shown (the hash on the button differs). */
  | 'not-what-was-approved'
  /** Signed, but its signed approval window closed too long ago. */
  | 'too-late';

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: AdmissionRefusal; readonly why: string };

/**
 * The executor's first check, before the node lock and before any step: the plan as stored must be
 * one a worker signed (its hash recomputed from the steps, the signature verified with the key only
 * workers hold) and exactly the one the approver saw (the hash the button carried). Pure.
 */
export function admitPlan(signer: PlanSigner, plan: Plan, approvedHash: string, nowMs: number): Admission {
  const verdict = signer.verify(plan);
  if (!verdict.ok && verdict.problem === 'unsigned')
    return {
      ok: false,
      code: 'unsigned',
      why: 'it carries no worker signature, so no netcheck worker vouches for its steps (it may have been written into Redis by someone else)',
    };
  if (!verdict.ok)
    return {
      ok: false,
      code: 'bad-signature',
      why: 'its steps were changed after a worker signed it (the signature does not match the commands stored in Redis)',
    };
  if (verdict.hash !== approvedHash)
    return {
      ok: false,
      code: 'not-what-was-approved',
      why: `it is not the plan the approver was shown (approved hash ${approvedHash.slice(0, 12) || 'none'}, plan hash ${verdict.hash.slice(0, 12)})`,
    };
  const expires = Date.parse(plan.expiresAt);
  if (!Number.isFinite(expires) || nowMs > expires + MAX_START_AFTER_EXPIRY_MS)
    return {
      ok: false,
      code: 'too-late',
      why: `its approval window closed at ${plan.expiresAt}; a plan is never started on an old diagnosis`,
    };
  return { ok: true };
}
