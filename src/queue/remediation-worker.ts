import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import { QUEUE_NAMES, type RemediationJobData } from './job-types.js';

export interface RemediationWorkerOptions {
  readonly connection: Redis;
  readonly handle: (data: RemediationJobData) => Promise<void>;
  readonly logger: { error(obj: object, msg: string): void };
}

/**
 * Runs approved plans. A fix changes a node, so a job is never retried or re-run: no attempts, and
 * maxStalledCount 0 makes a job whose worker died fail instead of starting over.
 */
export function startRemediationWorker(opts: RemediationWorkerOptions): Worker<RemediationJobData> {
  return new Worker<RemediationJobData>(
    QUEUE_NAMES.remediation,
    async (job: Job<RemediationJobData>) => {
      try {
        await opts.handle(job.data);
      } catch (error) {
        opts.logger.error({ err: error, planId: job.data.planId }, 'remediation failed');
        throw error;
      }
    },
    // A short lock makes a dead worker's job fail (not re-run) within seconds rather than a minute.
    {
      connection: opts.connection,
      prefix: KEY_PREFIX,
      concurrency: 4,
      maxStalledCount: 0,
      lockDuration: 10_000,
      stalledInterval: 5000,
    },
  );
}
