import { createHash } from 'node:crypto';
import { approvalsNeeded } from './authorize.js';
import type { Plan } from './plan.js';
import { stepText } from './step-text.js';

/** What a plan's hash is computed from: the plan without its hash and signature. */
export type HashedPlan = Omit<Plan, 'hash' | 'signature'>;

/** Bumped whenever the hashed fields change, so an old hash can never match a new layout. */
const HASH_VERSION = 'netcheck-plan-v2';

/**
 * sha256 over everything that decides what a plan runs, where, and under which approval: its id,
 * run, requester and node, every step's kind, node, command and check exactly as the approver reads
 * them (step-text.ts), its data (join source, timeout), destructive flags, how many approvers it
 * needs, when its approval window closes, its backup folder and the remedy a rollback is derived
 * from. The executor recomputes it from the stored steps; it never trusts a stored hash.
 */
export function planHash(plan: HashedPlan): string {
  const canonical = [
    HASH_VERSION,
    plan.planId,
    plan.runId,
    plan.requestedBy,
    plan.node,
    plan.causeId,
    plan.destructive,
    approvalsNeeded(plan as Plan),
    plan.createdAt,
    plan.expiresAt,
    plan.backupDir,
    plan.rollbackOf ?? null,
    canonicalJson(plan.remedy),
    plan.steps.map((s) => {
      const { command, check } = stepText(s);
      return [
        s.n,
        s.kind,
        s.node,
        s.title,
        command,
        check,
        s.kind === 'join' ? s.joinFrom : null,
        s.destructive,
        s.timeoutMs,
      ];
    }),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** JSON with object keys sorted, so the same value always hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
