import { createHash } from 'node:crypto';
import type { AuditEntry } from './audit-event.js';

export const GENESIS = '0'.repeat(64);

/** The hash that chains an entry to the one before it: over everything the entry says. */
export function entryHash(e: Omit<AuditEntry, 'id' | 'hash'>): string {
  const body = JSON.stringify([
    e.seq,
    e.at,
    e.type,
    e.actor,
    e.runId ?? null,
    e.planId ?? null,
    e.node ?? null,
    e.summary,
    e.data ?? null,
    e.prev,
  ]);
  return createHash('sha256').update(body).digest('hex');
}

export function digest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

export type ChainVerdict =
  | { readonly ok: true; readonly count: number; readonly head: string }
  | {
      readonly ok: false;
      readonly count: number;
      readonly seq: number;
      readonly id: string;
      readonly problem: string;
    };

/**
 * Recomputes the chain (pure). The first entry that was changed, removed or reordered is named:
 * a changed entry no longer matches its own hash; after a removed one the numbering skips and the
 * link points at an entry that is not there; swapped entries break both. `head` is the last
 * (seq, hash) the log recorded, so a removed last entry is caught as well.
 */
export function verifyChain(
  entries: readonly AuditEntry[],
  head: { seq: number; hash: string } | undefined,
): ChainVerdict {
  let prev = GENESIS;
  let seq = 0;
  const present = new Set(entries.map((e) => e.seq));
  for (const e of entries) {
    const name = { count: entries.length, seq: e.seq, id: e.id };
    if (entryHash(e) !== e.hash)
      return {
        ok: false,
        ...name,
        problem: `entry #${e.seq} (${e.id}) was changed: its content no longer matches its hash`,
      };
    if (e.seq !== seq + 1)
      return {
        ok: false,
        ...name,
        problem:
          e.seq > seq + 1 && !present.has(seq + 1)
            ? `entry #${seq + 1} is missing (removed) before entry #${e.seq} (${e.id})`
            : `entry #${e.seq} (${e.id}) is out of order: it stands where entry #${seq + 1} belongs`,
      };
    if (e.prev !== prev)
      return {
        ok: false,
        ...name,
        problem: `entry #${e.seq} (${e.id}) does not follow entry #${seq}: the chain link is broken`,
      };
    prev = e.hash;
    seq = e.seq;
  }
  if (head && (head.seq !== seq || head.hash !== prev))
    return {
      ok: false,
      count: entries.length,
      seq: seq + 1,
      id: '-',
      problem: `the log recorded ${head.seq} entries but only ${seq} chain up: entry #${seq + 1} onwards was removed`,
    };
  return { ok: true, count: entries.length, head: prev };
}
