import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import { zoneQueueName } from './zone-routing.js';

export const SWEEP_QUEUE = 'sweep';
/** The one job scheduler every worker upserts: however many workers, one schedule. */
export const SWEEP_SCHEDULER_ID = 'netcheck-sweep';

/**
 * A zone's sweep queue and scheduler (`sweep@<zone>`, `netcheck-sweep@<zone>`): one schedule per
 * zone, served only by that zone's workers; without a zone, the plain names as before zones.
 */
export const sweepQueueName = (zone: string | undefined) => zoneQueueName(SWEEP_QUEUE, zone);
export const sweepSchedulerId = (zone: string | undefined) => zoneQueueName(SWEEP_SCHEDULER_ID, zone);

export interface SweepJobData {
  /** `schedule` from the job scheduler; anything else was added by hand (a test, an operator). */
  readonly reason: string;
}

export interface SweepQueueOptions {
  readonly connection: Redis;
  /** The zone whose schedule this is (undefined: the nodes without a zone). */
  readonly zone: string | undefined;
  readonly intervalMs: number;
  /** Runs one sweep; the job id is the sweep's id. */
  readonly handle: (sweepId: string) => Promise<unknown>;
  readonly logger: { error(obj: object, msg: string): void };
}

/**
 * Scheduled sweeps of one zone: a repeatable BullMQ job, not a timer per process. Every worker of
 * the zone upserts the same job scheduler (so two workers still make one sweep per interval) and
 * takes sweep jobs, but the queue's global concurrency is 1: one sweep of the zone at a time across
 * all workers, and a sweep that
 * outlasts the interval delays the next instead of overlapping it (BullMQ adds a scheduler's next
 * job only when the current one starts).
 */
export async function startSweeps(opts: SweepQueueOptions): Promise<{ worker: Worker; queue: Queue }> {
  const name = sweepQueueName(opts.zone);
  const queue = new Queue<SweepJobData>(name, { connection: opts.connection, prefix: KEY_PREFIX });
  await queue.setGlobalConcurrency(1);
  await queue.upsertJobScheduler(
    sweepSchedulerId(opts.zone),
    { every: opts.intervalMs },
    {
      name: 'sweep',
      data: { reason: 'schedule' },
      // A sweep's state is in Redis; the job needs no history beyond a few for inspection.
      opts: { attempts: 1, removeOnComplete: { count: 50 }, removeOnFail: { count: 50 } },
    },
  );
  const worker = new Worker<SweepJobData>(
    name,
    async (job: Job<SweepJobData>) => {
      try {
        return await opts.handle(String(job.id));
      } catch (error) {
        opts.logger.error({ err: error, sweepId: job.id, zone: opts.zone }, 'sweep failed');
        throw error;
      }
    },
    { connection: opts.connection, prefix: KEY_PREFIX, concurrency: 1 },
  );
  return { worker, queue };
}

/**
 * Sweeps are off (no NETCHECK_SWEEP_INTERVAL): a schedule left by an earlier configuration goes,
 * for the zones this worker serves only (another zone's workers decide about theirs).
 */
export async function removeSweepSchedule(
  connection: Redis,
  zones: readonly (string | undefined)[],
): Promise<void> {
  for (const zone of zones) {
    const queue = new Queue(sweepQueueName(zone), { connection, prefix: KEY_PREFIX });
    try {
      await queue.removeJobScheduler(sweepSchedulerId(zone));
    } finally {
      await queue.close();
    }
  }
}
