import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import { QUEUE_NAMES, type RemediationJobData } from './job-types.js';
import { cancelledJobKey } from './queues.js';

export interface RemediationWorkerOptions {
  readonly connection: Redis;
  readonly handle: (data: RemediationJobData) => Promise<void>;
  readonly logger: { error(obj: object, msg: string): void };
  /** The queue to take jobs from (a zone's, queue/zone-routing.ts); default: the remediation queue. */
  readonly queueName?: string;
}

/** Thrown for a job whose producer gave up on it (see cancelledJobKey): nothing ran. */
export class CancelledJobError extends UnrecoverableError {
  readonly code = 'job-cancelled';
}

/**
 * Runs approved plans. A fix changes a node, so a job is never retried or re-run: no attempts, and
 * maxStalledCount 0 makes a job whose worker died fail instead of starting over.
 */
export function startRemediationWorker(opts: RemediationWorkerOptions): Worker<RemediationJobData> {
  return new Worker<RemediationJobData>(
    opts.queueName ?? QUEUE_NAMES.remediation,
    async (job: Job<RemediationJobData>) => {
      if (job.id && (await opts.connection.get(cancelledJobKey(job.id)))) {
        opts.logger.error(
          { planId: job.data.planId, jobId: job.id },
          'remediation job was queued after its approver was told Redis was unavailable; dropped, nothing ran',
        );
        throw new CancelledJobError(
          `plan ${job.data.planId}: the approval reached Redis after the approver was told it failed; nothing ran; run /netcheck again for a fresh plan`,
        );
      }
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
