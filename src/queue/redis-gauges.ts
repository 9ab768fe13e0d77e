import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NetcheckMetrics, ScrapeSource } from '../metrics/netcheck-metrics.js';
import { AuditMirrorLease } from '../store/audit-mirror-lease.js';
import { AuditStore } from '../store/audit-store.js';
import { KEY_PREFIX } from '../store/redis-keys.js';
import { QUEUE_NAMES } from './job-types.js';

/** Plans are counted by a SCAN; a scrape reuses a count younger than this and scans at most this much. */
const PLAN_COUNT_TTL_MS = 30_000;
const PLAN_SCAN_PAGES = 50;
const PLAN_SCAN_PAGE = 1000;
const PLAN_KEY = /^netcheck:plan:[^:]+$/;

export interface RedisGaugeOptions {
  /** A fail-fast connection (listener mode): a scrape must not queue commands while Redis is away. */
  readonly redis: Redis;
  readonly metrics: NetcheckMetrics;
  /** Whether this process mirrors the audit log (a bot with NETCHECK_AUDIT_CHANNEL): only then is lag exported. */
  readonly mirror: boolean;
  readonly now: () => number;
}

/**
 * What /metrics reads from Redis at scrape time: BullMQ's own export for every queue
 * (`bullmq_job_count{queue,state}` …), the outbox backlog, plans by state and the audit mirror's lag.
 * Returns the sources and a close for the read-only Queue handles.
 */
export function redisGaugeSources(opts: RedisGaugeOptions): {
  sources: ScrapeSource[];
  close(): Promise<void>;
} {
  const { redis, metrics } = opts;
  const queues = Object.values(QUEUE_NAMES).map(
    (name) => new Queue(name, { connection: redis, prefix: KEY_PREFIX }),
  );
  // Errors surface through the scrape (netcheck_redis_up 0); the connection logs its own.
  for (const q of queues) q.on('error', () => undefined);
  let planCount: { at: number; byState: Map<string, number> } | undefined;

  const sources: ScrapeSource[] = [
    {
      name: 'bullmq',
      redis: true,
      async collect() {
        const texts = await Promise.all(queues.map((q) => q.exportPrometheusMetrics()));
        const outbox = queues.find((q) => q.name === QUEUE_NAMES.outbox);
        if (outbox) {
          const c = await outbox.getJobCounts(
            'waiting',
            'delayed',
            'active',
            'prioritized',
            'waiting-children',
          );
          metrics.outboxBacklog.set(Object.values(c).reduce((sum, n) => sum + n, 0));
        }
        return texts.join('\n');
      },
    },
    {
      name: 'plans',
      redis: true,
      async collect() {
        if (!planCount || opts.now() - planCount.at > PLAN_COUNT_TTL_MS)
          planCount = { at: opts.now(), byState: await countPlans(redis) };
        metrics.setPlans(planCount.byState);
        return undefined;
      },
    },
  ];
  if (opts.mirror) {
    const store = new AuditStore(redis, redis, () => new Date(opts.now()).toISOString());
    const lease = new AuditMirrorLease(redis);
    sources.push({
      name: 'audit-mirror',
      redis: true,
      async collect() {
        const [head, cursor] = await Promise.all([store.head(), lease.cursor()]);
        const behind = Math.max(0, (head?.seq ?? 0) - cursor.seq);
        metrics.mirrorLagEntries.set(behind);
        const [oldest] = behind > 0 ? await store.read(cursor.id, 1) : [];
        const at = oldest ? Date.parse(oldest.at) : Number.NaN;
        metrics.mirrorLagSeconds.set(Number.isFinite(at) ? Math.max(0, (opts.now() - at) / 1000) : 0);
        return undefined;
      },
    });
  }
  return { sources, close: async () => void (await Promise.all(queues.map((q) => q.close()))) };
}

/** Plans by state, from one bounded SCAN (plans expire after 30 days, so the set stays small). */
async function countPlans(redis: Redis): Promise<Map<string, number>> {
  const byState = new Map<string, number>();
  let cursor = '0';
  for (let page = 0; page < PLAN_SCAN_PAGES; page++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}:plan:*`, 'COUNT', PLAN_SCAN_PAGE);
    const plans = keys.filter((k) => PLAN_KEY.test(k));
    if (plans.length > 0) {
      const pipeline = redis.pipeline();
      for (const key of plans) pipeline.hget(key, 'state');
      for (const [, state] of (await pipeline.exec()) ?? []) {
        if (typeof state === 'string') byState.set(state, (byState.get(state) ?? 0) + 1);
      }
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return byState;
}
