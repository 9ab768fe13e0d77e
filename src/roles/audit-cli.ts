import { parseArgs } from 'node:util';
import { verifyChain } from '../audit/audit-chain.js';
import { filterEntries, toCsv, toJsonl } from '../audit/audit-export.js';
import { systemClock } from '../core/clock.js';
import { maskCredentials } from '../core/mask-credentials.js';
import { AuditStore } from '../store/audit-store.js';
import { redisClient } from './redis-connection.js';

const USAGE = `usage: netcheck audit export [--since ISO-TIME] [--until ISO-TIME] [--node NAME] [--format jsonl|csv]
       netcheck audit verify
Reads the audit log from REDIS_URL (default redis://127.0.0.1:6379).`;

/** `netcheck audit …`: read-only; exit 0 ok, 1 the chain is broken, 2 bad usage. */
export async function runAuditCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
): Promise<number> {
  const [command, ...rest] = argv;
  let values: { since?: string; until?: string; node?: string; format?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        node: { type: 'string' },
        format: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`netcheck audit: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  for (const key of ['since', 'until'] as const) {
    const v = values[key];
    if (v !== undefined && Number.isNaN(Date.parse(v))) {
      console.error(
        `netcheck audit: --${key} "${v}" is not a time; expected ISO 8601, e.g. 2026-11-24T03:00:00Z`,
      );
      return 2;
    }
  }
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') {
    console.error(`netcheck audit: --format "${format}" is not supported; expected jsonl or csv`);
    return 2;
  }
  if (command !== 'export' && command !== 'verify') {
    console.error(`netcheck audit: unknown command "${command ?? ''}"\n${USAGE}`);
    return 2;
  }
  const url = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis: ReturnType<typeof redisClient>;
  try {
    redis = redisClient(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  } catch (error) {
    console.error(`netcheck audit: REDIS_URL=${maskCredentials(url)}: ${(error as Error).message}`);
    return 2;
  }
  try {
    await redis.connect().catch((error: unknown) => {
      throw new Error(`cannot reach Redis at REDIS_URL=${maskCredentials(url)}: ${(error as Error).message}`);
    });
    const store = new AuditStore(redis, redis, systemClock.isoNow);
    const entries = await store.readAll();
    if (command === 'export') {
      const chosen = filterEntries(entries, values);
      out(format === 'csv' ? toCsv(chosen) : toJsonl(chosen));
      return 0;
    }
    const verdict = verifyChain(entries, await store.head());
    if (verdict.ok) {
      out(`audit log ok: ${verdict.count} entries, chain intact, head ${verdict.head.slice(0, 16)}\n`);
      return 0;
    }
    out(`audit log BROKEN: ${verdict.problem}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
