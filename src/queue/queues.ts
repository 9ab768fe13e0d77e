import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import {
  type MeshJobData,
  type MeshProbeJobData,
  type MeshReportJobData,
  type OutboxMessage,
  type ProbeJobData,
  QUEUE_NAMES,
  type RemediationJobData,
} from './job-types.js';
import { type ZoneRouting, zoneQueueName } from './zone-routing.js';

/** Completed jobs are kept a day so that their ids keep de-duplicating re-adds (BullMQ dedups only while a job exists). */
const KEEP = { removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

/** Retries of an outbox send: ~1.5 h of capped exponential backoff covers a Slack outage without losing the message. */
export const OUTBOX_ATTEMPTS = 200;

export function outboxMessageId(message: OutboxMessage): string {
  // BullMQ job ids must not contain ':' and must not be integers.
  if (message.kind === 'progress') return `${message.runId}-progress-${message.seq}`;
  if (message.kind === 'plan-offered') return `${message.runId}-plan-offered-${message.plan.planId}`;
  if (message.kind === 'plan-decided') return `${message.runId}-plan-decided-${message.planId}`;
  if (message.kind === 'sweep-update') return `${message.runId}-sweep-update-${message.seq}`;
  return `${message.runId}-${message.kind}`;
}

/**
 * Marks a job id whose add the caller gave up on (the listener timed out while Redis was frozen):
 * sent right behind the add on the same connection, so Redis applies it right after the add if the
 * add is applied at all, and the worker drops the job instead of running what the user was told
 * did not happen.
 */
export const cancelledJobKey = (jobId: string) => `${KEY_PREFIX}:cancelled-job:${jobId}`;
const CANCEL_TTL_SECONDS = 24 * 3600;

/** The producers: the bot enqueues probes, workers (and the bot) enqueue outbox messages. */
export class Queues {
  readonly probe: Queue<ProbeJobData>;
  readonly outbox: Queue<OutboxMessage>;
  readonly remediation: Queue<RemediationJobData>;
  /** `/netcheck mesh`: its planning job, its chunks and its report (a BullMQ flow). */
  readonly mesh: Queue<MeshJobData>;
  private readonly flows: FlowProducer;

  /** Per-zone queues, made on first use (a zone's probe and remediation jobs). */
  private readonly zoned = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly onError?: (error: Error) => void,
    /** Where a node's jobs go (inventory zones); absent: every job to the default queues. */
    private readonly routing?: ZoneRouting,
  ) {
    this.probe = new Queue<ProbeJobData>(QUEUE_NAMES.probe, { connection, prefix: KEY_PREFIX });
    this.outbox = new Queue<OutboxMessage>(QUEUE_NAMES.outbox, { connection, prefix: KEY_PREFIX });
    this.remediation = new Queue<RemediationJobData>(QUEUE_NAMES.remediation, {
      connection,
      prefix: KEY_PREFIX,
    });
    this.mesh = new Queue<MeshJobData>(QUEUE_NAMES.mesh, { connection, prefix: KEY_PREFIX });
    this.flows = new FlowProducer({ connection, prefix: KEY_PREFIX });
    if (onError) {
      for (const queue of [this.probe, this.outbox, this.remediation, this.mesh]) queue.on('error', onError);
      this.flows.on('error', onError);
    }
  }

  /** The queue a node's jobs of this kind go to: its zone's, or the default one. */
  private queueFor<T>(base: Queue<T>, node: string | undefined): Queue<T> {
    const zone = node === undefined ? undefined : this.routing?.zoneOf(node);
    if (!zone) return base;
    const name = zoneQueueName(base.name, zone);
    let queue = this.zoned.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: KEY_PREFIX });
      if (this.onError) queue.on('error', this.onError);
      this.zoned.set(name, queue);
    }
    return queue as unknown as Queue<T>;
  }

  async enqueueProbe(data: ProbeJobData): Promise<void> {
    await this.queueFor(this.probe, data.node).add('probe', data, {
      jobId: `probe-${data.runId}`,
      attempts: 2,
      backoff: { type: 'fixed', delay: 1000 },
      ...KEEP,
    });
  }

  async enqueueOutbox(...messages: OutboxMessage[]): Promise<void> {
    await this.outbox.addBulk(
      messages.map((data) => ({
        name: data.kind,
        data,
        opts: {
          jobId: outboxMessageId(data),
          attempts: OUTBOX_ATTEMPTS,
          backoff: { type: 'capped' },
          ...KEEP,
        },
      })),
    );
  }

  /** A fix runs at most once: no attempts, no automatic re-run (the worker sets maxStalledCount 0). */
  async enqueueRemediation(data: RemediationJobData, node?: string): Promise<void> {
    const jobId = `remediate-${data.planId}`;
    try {
      // The plan's node decides the zone: only a worker of that zone may change it.
      await this.queueFor(this.remediation, node).add('remediate', data, { jobId, attempts: 1, ...KEEP });
    } catch (error) {
      // The add may still be applied later (a frozen Redis that resumes): cancel it behind it.
      await this.connection.set(cancelledJobKey(jobId), '1', 'EX', CANCEL_TTL_SECONDS).catch(() => undefined);
      throw error;
    }
  }

  /** A mesh run's first job (read-only, so it may run again: the flow it adds has fixed ids). */
  async enqueueMesh(data: MeshJobData): Promise<void> {
    await this.mesh.add('mesh-plan', data, {
      jobId: `mesh-plan-${data.runId}`,
      attempts: 2,
      backoff: { type: 'fixed', delay: 1000 },
      ...KEEP,
    });
  }

  /**
   * The mesh's fan-out: one job per chunk of source nodes, and the report job that BullMQ runs
   * once every chunk has finished (a flow: the parent waits for its children). A chunk that fails
   * for good does not hold the report: its rows are unknown. Each chunk waits in its zone's queue
   * (`mesh-probe@<zone>`, or `mesh-probe`), the report on `mesh`, which every worker serves.
   */
  async addMeshFlow(report: MeshReportJobData, chunks: readonly MeshProbeJobData[]): Promise<void> {
    await this.flows.add({
      name: 'mesh-report',
      queueName: QUEUE_NAMES.mesh,
      data: report,
      opts: { jobId: `mesh-report-${report.runId}`, attempts: 2, ...KEEP },
      children: chunks.map((chunk) => ({
        name: 'mesh-probe',
        queueName: zoneQueueName(QUEUE_NAMES.meshProbe, chunk.zone),
        data: chunk,
        opts: {
          jobId: `mesh-probe-${chunk.runId}-${chunk.chunk}`,
          attempts: 2,
          backoff: { type: 'fixed', delay: 500 },
          ignoreDependencyOnFailure: true,
          ...KEEP,
        },
      })),
    });
  }

  async close(): Promise<void> {
    await Promise.all([
      this.probe.close(),
      this.outbox.close(),
      this.remediation.close(),
      ...[...this.zoned.values()].map((q) => q.close()),
      this.mesh.close(),
      this.flows.close(),
    ]);
  }
}
