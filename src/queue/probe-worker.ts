import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import type { NodeReport, OutboxMessage } from './job-types.js';
import { type ProbeJobData, QUEUE_NAMES } from './job-types.js';
import type { Queues } from './queues.js';

/**
 * Probe jobs run at once per worker. A job mostly waits (on SSH, on Redis), identical jobs for one
 * node share one probe run, and runs of different targets share their peers' probes
 * (worker/diagnose-node.ts), so during an incident's burst of commands many jobs in flight cost
 * little; what bounds the load on a node is its connection's channel slots (ssh/channel-slots.ts),
 * not this number. It only has to let a burst's jobs in together: a job still waiting in Redis
 * when the run it could have joined is past its window starts another run of the same node later.
 * With 8, a burst of 50 ran in rounds of 8; with 32, its last 18 jobs made a third run per node.
 */
export const PROBE_CONCURRENCY = 100;

export type ProbeHandler = (data: ProbeJobData) => Promise<NodeReport>;

export interface ProbeWorkerOptions {
  readonly connection: Redis;
  readonly queues: Queues;
  readonly handle: ProbeHandler;
  /** `/netcheck preflight` jobs: returns the messages for the thread (a pass/fail table or a notice). */
  readonly handlePreflight?: (data: ProbeJobData) => Promise<OutboxMessage[]>;
  readonly concurrency?: number;
  readonly logger: { error(obj: object, msg: string): void };
  /** The queue to take jobs from (a zone's, queue/zone-routing.ts); default: the probe queue. */
  readonly queueName?: string;
}

/**
 * Runs probe jobs. Results go back through Redis as outbox messages (this process has no Slack
 * token). Probes are read-only, so a job that stalls because its worker died may safely run again;
 * the outbox job ids make sure its report is still delivered once.
 */
export function startProbeWorker(opts: ProbeWorkerOptions): Worker<ProbeJobData> {
  const worker = new Worker<ProbeJobData>(
    opts.queueName ?? QUEUE_NAMES.probe,
    async (job: Job<ProbeJobData>) => {
      try {
        if (job.data.kind === 'preflight') {
          if (!opts.handlePreflight) throw new Error('this worker cannot run preflight checks; upgrade it');
          await opts.queues.enqueueOutbox(...(await opts.handlePreflight(job.data)));
          return { preflight: true };
        }
        const report = await opts.handle(job.data);
        await opts.queues.enqueueOutbox(
          { kind: 'report', runId: job.data.runId, report },
          { kind: 'verdict', runId: job.data.runId, report },
        );
        return { verdict: report.verdict };
      } catch (error) {
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        opts.logger.error(
          { err: error, runId: job.data.runId, node: job.data.node, final },
          'probe job failed',
        );
        if (final) {
          await opts.queues.enqueueOutbox({
            kind: 'notice',
            runId: job.data.runId,
            text: `:warning: netcheck could not finish checking ${job.data.node}: ${(error as Error).message}. Nothing was changed on the node. Try again, and if it keeps failing, check the worker logs for run ${job.data.runId}.`,
          });
        }
        throw error;
      }
    },
    { connection: opts.connection, prefix: KEY_PREFIX, concurrency: opts.concurrency ?? PROBE_CONCURRENCY },
  );
  return worker;
}
