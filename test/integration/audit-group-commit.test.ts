import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { verifyChain } from '../../src/audit/audit-chain.js';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { AuditStore } from '../../src/store/audit-store.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

/**
 * A burst writes hundreds of audit events at once, from the bot and the worker, in several
 * processes. Events that queue up go out together (group commit); the chain must stay whole and
 * in call order, and every caller must get its own entry back.
 */
describe('audit group commit', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  const conn = () => {
    const c = new Redis(redis.url);
    conns.push(c);
    return c;
  };
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const c of conns) c.disconnect();
    await redis.stop();
  });

  it('400 appends at once from two stores (two processes) form one valid chain, each in its caller’s order', async () => {
    const iso = () => new Date().toISOString();
    const a = new AuditStore(conn(), conn(), iso);
    const b = new AuditStore(conn(), conn(), iso);
    const event = (who: string, i: number) => ({
      type: 'probe.batch' as const,
      actor: 'netcheck',
      runId: `run-${who}-${i}`,
      summary: `${who} ${i}`,
    });
    const [fromA, fromB] = await Promise.all([
      Promise.all(Array.from({ length: 200 }, (_, i) => a.append(event('a', i)))),
      Promise.all(Array.from({ length: 200 }, (_, i) => b.append(event('b', i)))),
    ]);
    const all: AuditEntry[] = await a.readAll();
    assert.equal(all.length, 400);
    assert.deepEqual(verifyChain(all, await a.head()), { ok: true, count: 400, head: all.at(-1)!.hash });
    for (const [who, got] of [
      ['a', fromA],
      ['b', fromB],
    ] as const) {
      assert.deepEqual(
        got.map((e) => e.summary),
        Array.from({ length: 200 }, (_, i) => `${who} ${i}`),
        'each caller gets its own entry',
      );
      const seqs = got.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
        `${who}'s events are chained in the order they were recorded`,
      );
      const stored = new Map(all.map((e) => [e.id, e]));
      for (const e of got) assert.equal(stored.get(e.id)?.hash, e.hash);
    }
  });
});
