import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis-keys.js';

/** Where a problem (node + catalog id) stands between sweeps (worker/sweep-flap.ts moves it). */
export type ProblemPhase = 'pending' | 'open' | 'clearing' | 'resolved';

/** One problem's state as kept in Redis. */
export interface ProblemRecord {
  /** `<node>/<catalog id>`. */
  readonly key: string;
  readonly node: string;
  readonly causeId: string;
  readonly phase: ProblemPhase;
  /** What the problem looks like (catalog id + its remedy): a change is worth an update in place. */
  readonly fingerprint: string;
  readonly headline: string;
  /** The diagnosed nodes whose reports showed it last: its absence counts only if they were all seen. */
  readonly seenVia: readonly string[];
  /** The sweep that last moved this record, and what it did: a re-run of that sweep repeats the action. */
  readonly lastSweep: string;
  readonly lastAction: 'none' | 'announce' | 'update' | 'resolve';
  /** The run whose message announces it (set once announced). */
  readonly runId?: string | undefined;
  readonly since: string;
}

/** What a node's condition was last written as (so it is written only when it changes). */
export interface WrittenCondition {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

const PROBLEMS = `${KEY_PREFIX}:sweep:problems`;
const CONDITIONS = `${KEY_PREFIX}:sweep:conditions`;

/** Compare-and-set on one hash field: the record changes only if nobody changed it since it was read. */
const CAS = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

const MAX_CAS_ATTEMPTS = 20;

/**
 * The sweeps' memory: one record per problem in one hash (`netcheck:sweep:problems`), each moved by
 * a compare-and-set script, so a record is never overwritten with a transition computed from a
 * state that has changed meanwhile (a stalled sweep re-run next to its successor).
 */
export class SweepStateStore {
  constructor(private readonly redis: Redis) {}

  async all(): Promise<ProblemRecord[]> {
    const rows = await this.redis.hgetall(PROBLEMS);
    return Object.values(rows).map((raw) => JSON.parse(raw) as ProblemRecord);
  }

  /**
   * Moves one record atomically: `step` gets the current record (or undefined) and returns the next
   * (undefined deletes it). Re-read and re-computed if another writer got in between.
   */
  async transition<T>(
    key: string,
    step: (current: ProblemRecord | undefined) => { next: ProblemRecord | undefined; result: T },
  ): Promise<T> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const raw = (await this.redis.hget(PROBLEMS, key)) ?? '';
      const { next, result } = step(raw ? (JSON.parse(raw) as ProblemRecord) : undefined);
      const nextRaw = next ? JSON.stringify(next) : '';
      if (nextRaw === raw) return result;
      if ((await this.redis.eval(CAS, 1, PROBLEMS, key, raw, nextRaw)) === 1) return result;
    }
    throw Object.assign(
      new Error(
        `sweep state of ${key} kept changing under ${MAX_CAS_ATTEMPTS} attempts; nothing was changed`,
      ),
      {
        code: 'sweep-state-contended',
      },
    );
  }

  async conditions(): Promise<Map<string, WrittenCondition>> {
    const rows = await this.redis.hgetall(CONDITIONS);
    return new Map(Object.entries(rows).map(([node, raw]) => [node, JSON.parse(raw) as WrittenCondition]));
  }

  async recordCondition(node: string, condition: WrittenCondition): Promise<void> {
    await this.redis.hset(CONDITIONS, node, JSON.stringify(condition));
  }
}
