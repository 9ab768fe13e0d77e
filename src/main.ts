import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { AuditEvent } from './audit/audit-event.js';
import { observeAuditEvent } from './audit/audit-metrics.js';
import { type Config, type EnvSource, loadConfig } from './config/load-config.js';
import { systemClock } from './core/clock.js';
import { withDeadline } from './core/deadline.js';
import { randomIds } from './core/ids.js';
import { CATALOG_IDS } from './diagnosis/catalog.js';
import { createLogger } from './log/create-logger.js';
import { healthHandler, metricsHandler, startHttpServer } from './metrics/http-routes.js';
import { NetcheckMetrics } from './metrics/netcheck-metrics.js';
import { Queues } from './queue/queues.js';
import { redisGaugeSources } from './queue/redis-gauges.js';
import { zoneRouting } from './queue/zone-routing.js';
import { PLAN_TRANSITIONS } from './remediation/plan-state.js';
import { connectRedis } from './roles/redis-connection.js';
import type { RoleContext } from './roles/role-context.js';
import { SSH_ERROR_CODES } from './ssh/ssh-error.js';
import { AuditStore } from './store/audit-store.js';
import { PlanStore } from './store/plan-store.js';
import { RunStore } from './store/run-store.js';

export interface Netcheck {
  readonly config: Config;
  /** The HTTP port actually bound (differs from config.port when PORT=0). */
  readonly port: number | undefined;
  stop(): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;
const HEALTH_PING_DEADLINE_MS = 1000;

/**
 * Chooses the roles (NETCHECK_ROLE: bot, worker or all) and wires them: the only place that creates
 * the clock, the id source and the shared Redis state (house rule 1). Everything below receives its
 * collaborators as arguments.
 */
export async function startNetcheck(env: EnvSource, options: { logger?: Logger } = {}): Promise<Netcheck> {
  const config = await loadConfig(env);
  const logger = options.logger ?? createLogger(config.logLevel, { role: config.role });
  const clock = systemClock;
  const ids = randomIds;
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'error during shutdown'));
    }
  };

  try {
    const redis = await connectRedis(config.redisUrl, logger);
    closers.push(() => redis.quit());
    // A node's jobs go to its zone's queues (inventory `zone:`), taken only by that zone's workers.
    const queues = new Queues(redis, undefined, zoneRouting(config.inventory));
    closers.push(() => queues.close());
    // Audit appends WATCH the log's head, which needs a connection of their own.
    const auditWriter = await connectRedis(config.redisUrl, logger);
    closers.push(() => auditWriter.quit());
    const workers: Worker[] = [];
    closers.push(() =>
      withDeadline(Promise.all(workers.map((w) => w.close())), SHUTDOWN_TIMEOUT_MS, 'closing workers'),
    );
    // One registry per process: a bot and a worker in one process count into it and serve it once.
    const metrics = new NetcheckMetrics({
      catalogIds: CATALOG_IDS,
      sshErrorCodes: SSH_ERROR_CODES,
      planStates: Object.keys(PLAN_TRANSITIONS),
    });
    const observeAudit = (event: AuditEvent) => observeAuditEvent(metrics, event);
    // Scrapes read Redis on a fail-fast connection: an outage answers `netcheck_redis_up 0` at once.
    const metricsRedis = await connectRedis(config.redisUrl, logger, 'listener');
    closers.push(async () => metricsRedis.disconnect());
    const gauges = redisGaugeSources({
      redis: metricsRedis,
      metrics,
      mirror: config.role !== 'worker' && config.auditChannel !== undefined,
      now: clock.now,
    });
    for (const source of gauges.sources) metrics.addSource(source);
    closers.push(() => gauges.close());
    const ctx: RoleContext = {
      config,
      logger,
      clock,
      ids,
      redis,
      queues,
      runs: new RunStore(redis, clock.isoNow),
      plans: new PlanStore(redis),
      audit: new AuditStore(redis, auditWriter, clock.isoNow, observeAudit),
      metrics,
      observeAudit,
      onStop: (close) => closers.push(close),
      addWorker: (worker) => workers.push(worker),
    };

    // A role's modules are loaded only by a process that runs it: a bot never loads the SSH and
    // Kubernetes clients (~45 MB resident for @kubernetes/client-node alone), a worker never loads Bolt.
    if (config.role !== 'bot') await (await import('./roles/worker.js')).startWorkerRole(ctx);
    const bot = config.role !== 'worker' ? await import('./roles/bot.js') : undefined;
    let port = bot ? (await bot.startBotRole(ctx)).port : undefined;
    if (!bot) {
      // A worker alone serves GET /healthz and GET /metrics on PORT; with a bot, Bolt serves them.
      const server = await startHttpServer(config.port, {
        '/healthz': healthHandler(async () => {
          const pong = await withDeadline(redis.ping(), HEALTH_PING_DEADLINE_MS, 'redis ping').catch(
            () => 'down',
          );
          return {
            ok: pong === 'PONG',
            detail: { role: config.role, redis: pong === 'PONG' ? 'ok' : 'down' },
          };
        }),
        '/metrics': metricsHandler(metrics),
      });
      closers.push(() => server.close());
      port = server.port;
    }
    logger.info({ role: config.role, port, nodes: config.inventory.nodes.length }, 'netcheck started');
    return { config, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
