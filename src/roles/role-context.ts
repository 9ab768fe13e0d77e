import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditEvent } from '../audit/audit-event.js';
import type { Config } from '../config/load-config.js';
import type { Clock } from '../core/clock.js';
import type { IdSource } from '../core/ids.js';
import type { NetcheckMetrics } from '../metrics/netcheck-metrics.js';
import type { Queues } from '../queue/queues.js';
import type { AuditStore } from '../store/audit-store.js';
import type { PlanStore } from '../store/plan-store.js';
import type { RunStore } from '../store/run-store.js';

/** What `main.ts` builds once and hands to every role it starts (a bot, a worker, or both). */
export interface RoleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The shared command connection (queues and stores use it). */
  readonly redis: Redis;
  readonly queues: Queues;
  readonly runs: RunStore;
  readonly plans: PlanStore;
  readonly audit: AuditStore;
  /** The process's metrics registry (GET /metrics). */
  readonly metrics: NetcheckMetrics;
  /** Counts an appended audit event into the metrics; every AuditStore is built with it. */
  readonly observeAudit: (event: AuditEvent) => void;
  /** Registers a close for stop(); closes run in reverse order of registration. */
  onStop(close: () => Promise<unknown>): void;
  /** A started BullMQ worker; all of them are closed together, under one deadline, on stop(). */
  addWorker(worker: Worker): void;
}
