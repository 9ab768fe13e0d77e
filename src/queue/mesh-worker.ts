import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import {
  type MeshChunkResult,
  type MeshJobData,
  type MeshProbeJobData,
  type MeshReportJobData,
  QUEUE_NAMES,
} from './job-types.js';
import type { Queues } from './queues.js';

export interface MeshHandlers {
  readonly plan: (data: MeshJobData) => Promise<number>;
  readonly probe: (data: MeshProbeJobData) => Promise<MeshChunkResult>;
  readonly report: (data: MeshReportJobData, chunks: readonly MeshChunkResult[]) => Promise<unknown>;
}

export interface MeshWorkerOptions {
  /** `mesh` (plan and report, every worker) or a chunk queue (`mesh-probe[@zone]`, its zone's workers). */
  readonly queueName?: string;
  readonly connection: Redis;
  readonly queues: Queues;
  readonly handlers: MeshHandlers;
  /** Chunk jobs at once on this worker (each runs its sources' SSH execs at once). */
  readonly concurrency?: number;
  readonly logger: { error(obj: object, msg: string): void };
}

type AnyMeshJob = MeshJobData | MeshProbeJobData | MeshReportJobData;

/**
 * Runs a mesh's jobs: `mesh-plan` (addresses and chunks, then the flow), `mesh-probe` (a chunk of
 * sources, each probing every peer; in its zone's queue) and `mesh-report` (run by BullMQ once
 * every chunk is done).
 * All read-only, so a stalled job may run again; fixed job ids keep the outbox from posting twice.
 */
export function startMeshWorker(opts: MeshWorkerOptions): Worker<AnyMeshJob> {
  return new Worker<AnyMeshJob>(
    opts.queueName ?? QUEUE_NAMES.mesh,
    async (job: Job<AnyMeshJob>) => {
      try {
        if (job.name === 'mesh-plan') return { chunks: await opts.handlers.plan(job.data as MeshJobData) };
        if (job.name === 'mesh-probe') return await opts.handlers.probe(job.data as MeshProbeJobData);
        if (job.name === 'mesh-report') {
          const values = await job.getChildrenValues<MeshChunkResult>();
          await opts.handlers.report(job.data as MeshReportJobData, Object.values(values));
          return 'reported';
        }
        throw new Error(`unknown mesh job ${job.name}`);
      } catch (error) {
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        opts.logger.error({ err: error, runId: job.data.runId, job: job.name, final }, 'mesh job failed');
        // A chunk that fails for good leaves its rows unknown; the plan or the report failing ends the run.
        if (final && job.name !== 'mesh-probe') {
          await opts.queues.enqueueOutbox({
            kind: 'notice',
            runId: job.data.runId,
            text: `:warning: netcheck could not finish the mesh (${job.name}): ${(error as Error).message}. Nothing was changed on any node. Try again, and if it keeps failing, check the worker logs for run ${job.data.runId}.`,
          });
        }
        throw error;
      }
    },
    { connection: opts.connection, prefix: KEY_PREFIX, concurrency: opts.concurrency ?? 4 },
  );
}
