import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { App } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { probeRunEvents } from './audit/run-events.js';
import { findNode } from './config/inventory.js';
import { type Config, type EnvSource, loadConfig } from './config/load-config.js';
import { withDeadline } from './core/deadline.js';
import { diagnose } from './diagnosis/diagnose.js';
import type { KubeFacts } from './kube/kube-facts.js';
import { KubeGateway } from './kube/kube-gateway.js';
import { KubeNodeWriter } from './kube/kube-node-writer.js';
import { createLogger } from './log/create-logger.js';
import { collectFacts } from './probes/collect-facts.js';
import { startOutboxWorker } from './queue/outbox-worker.js';
import { startProbeWorker } from './queue/probe-worker.js';
import { Queues } from './queue/queues.js';
import { startRemediationWorker } from './queue/remediation-worker.js';
import { executePlan, reportInterruptedRuns } from './remediation/executor.js';
import { planFor } from './remediation/runbooks.js';
import { registerPlanActions } from './slack/actions/plan-actions.js';
import { startAuditMirror } from './slack/audit-mirror.js';
import { registerNetcheckCommand } from './slack/commands/netcheck-command.js';
import { createOutboxDelivery } from './slack/outbox-delivery.js';
import { createSlackApp } from './slack/slack-app.js';
import { AuditStore } from './store/audit-store.js';
import { KubeNodeCache } from './store/kube-node-cache.js';
import { PlanStore } from './store/plan-store.js';
import { RunStore } from './store/run-store.js';

export interface Netcheck {
  readonly config: Config;
  /** The HTTP port actually bound (differs from config.port when PORT=0). */
  readonly port: number | undefined;
  stop(): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * The only place that creates things with side effects and wires them together (house rule 1).
 * Everything below receives its collaborators as arguments.
 */
export async function startNetcheck(env: EnvSource, options: { logger?: Logger } = {}): Promise<Netcheck> {
  const config = await loadConfig(env);
  const logger = options.logger ?? createLogger(config.logLevel, { role: config.role });
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of closers.reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'error during shutdown'));
    }
  };

  try {
    // Workers block on Redis and need maxRetriesPerRequest: null; the command connection fails fast instead.
    const redis = await connectRedis(config.redisUrl, { maxRetriesPerRequest: null }, logger);
    closers.push(() => redis.quit());
    const queues = new Queues(redis);
    closers.push(() => queues.close());
    const runs = new RunStore(redis);
    const plans = new PlanStore(redis);
    // Audit appends WATCH the log's head, which needs a connection of their own.
    const auditWriter = await connectRedis(config.redisUrl, { maxRetriesPerRequest: null }, logger);
    closers.push(() => auditWriter.quit());
    const audit = new AuditStore(redis, auditWriter, () => new Date().toISOString());
    let executeRemediation: (planId: string, hash: string) => Promise<void> = async () => {
      throw new Error('this process has no SSH access (NETCHECK_ROLE=bot)');
    };
    const workers: Worker[] = [];
    closers.push(() =>
      withDeadline(Promise.all(workers.map((w) => w.close())), SHUTDOWN_TIMEOUT_MS, 'closing workers'),
    );

    if (config.role !== 'bot') {
      // Loaded only by processes that run probes: a bot never loads the SSH stack or reads the key.
      const [{ parseKnownHosts }, { SshTransport }] = await Promise.all([
        import('./ssh/known-hosts.js'),
        import('./ssh/ssh-transport.js'),
      ]);
      const [privateKey, knownHostsText] = await Promise.all([
        readFile(config.inventory.ssh.privateKeyPath),
        readFile(config.inventory.ssh.knownHostsPath, 'utf8'),
      ]);
      const transport = new SshTransport({
        user: config.inventory.ssh.user,
        privateKey,
        knownHosts: parseKnownHosts(knownHostsText),
        logger: logger.child({ component: 'ssh' }),
      });
      closers.push(() => transport.close());
      const target = (name: string) => {
        const n = findNode(config.inventory, name);
        return n ? { name: n.name, host: n.host, port: n.port } : undefined;
      };
      const kube = config.kubeconfigPath
        ? new KubeGateway(config.kubeconfigPath, new KubeNodeCache(redis))
        : undefined;
      const writer = config.kubeconfigPath ? new KubeNodeWriter(config.kubeconfigPath) : undefined;
      const deps = {
        transport,
        kube: (node: string): Promise<KubeFacts> =>
          kube ? kube.fetch(node) : Promise.resolve({ status: 'disabled' }),
        now: () => performance.now(),
        isoNow: () => new Date().toISOString(),
      };
      executeRemediation = (planId, hash) =>
        executePlan(
          {
            plans,
            target,
            exec: (t, command, opts) => transport.exec(t, command, opts),
            post: (message) => queues.enqueueOutbox(message),
            audit,
            diagnose: async (name) =>
              diagnose(await collectFacts(deps, config.inventory, findNode(config.inventory, name)!)),
            runNode: async (runId) => (await runs.get(runId))?.node,
            newPlanId: () => `plan-${randomUUID()}`,
            drain: writer ? (node) => writer.drainAndDelete(node) : undefined,
            now: () => Date.now(),
            isoNow: () => new Date().toISOString(),
          },
          planId,
          hash,
        );
      workers.push(
        startProbeWorker({
          connection: redis,
          queues,
          logger: logger.child({ component: 'probe-worker' }),
          handle: async (job) => {
            const node = findNode(config.inventory, job.node);
            if (!node)
              throw new Error(
                `node ${job.node} is not in this worker's inventory (${config.inventory.sourcePath})`,
              );
            const [facts] = await Promise.all([
              collectFacts(deps, config.inventory, node),
              audit.record({
                type: 'run.started',
                actor: 'netcheck',
                runId: job.runId,
                node: job.node,
                summary: `probing ${job.node} for <@${job.requestedBy}>`,
              }),
            ]);
            const diagnosis = diagnose(facts);
            // The plan is stored before the report goes out, so its buttons always find it.
            const plan = planFor(diagnosis, {
              planId: `plan-${randomUUID()}`,
              runId: job.runId,
              requestedBy: job.requestedBy,
              createdAt: new Date().toISOString(),
            });
            if (plan) await plans.save(plan, Date.now());
            for (const event of probeRunEvents(job.runId, facts, diagnosis, plan)) await audit.record(event);
            const report = { ...diagnosis, plan };
            logger.info(
              {
                runId: job.runId,
                node: job.node,
                verdict: report.verdict,
                causes: report.rootCauses.map((c) => c.id),
                ms: Math.round(facts.durationMs),
              },
              'diagnosed',
            );
            return report;
          },
        }),
      );
    }

    if (config.role !== 'bot') {
      // A run whose worker died (SIGKILL, power loss) is reported as interrupted, never re-run.
      const sweep = () =>
        reportInterruptedRuns({
          plans,
          post: (message) => queues.enqueueOutbox(message),
          audit,
          newPlanId: () => `plan-${randomUUID()}`,
          now: () => Date.now(),
          isoNow: () => new Date().toISOString(),
        }).catch((error: unknown) => logger.error({ err: error }, 'could not check for interrupted runs'));
      await sweep();
      const sweeper = setInterval(sweep, 3000);
      sweeper.unref();
      closers.push(async () => clearInterval(sweeper));
      workers.push(
        startRemediationWorker({
          connection: redis,
          logger: logger.child({ component: 'remediation' }),
          handle: (job) => executeRemediation(job.planId, job.hash),
        }),
      );
    }

    let app: App | undefined;
    let port: number | undefined;
    if (config.role !== 'worker') {
      const slack = config.slack!;
      // Our own client for the outbox: no in-memory retries (a crash would lose them); the outbox retries durably.
      const client = new WebClient(slack.botToken, {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      });
      workers.push(
        startOutboxWorker({
          connection: redis,
          logger: logger.child({ component: 'outbox' }),
          deliver: createOutboxDelivery({
            client,
            runs,
            now: () => Date.now(),
            logger: logger.child({ component: 'outbox' }),
          }),
        }),
      );
      if (config.auditChannel) {
        const blocking = await connectRedis(config.redisUrl, { maxRetriesPerRequest: null }, logger);
        const mirror = startAuditMirror({
          store: audit,
          runs,
          client,
          channel: config.auditChannel,
          waitForMore: (afterId, ms) => audit.waitAfter(blocking, afterId, ms),
          owner: `${hostname()}-${process.pid}-${randomUUID()}`,
          now: () => Date.now(),
          logger: logger.child({ component: 'audit-mirror' }),
        });
        closers.push(() => {
          // A blocked XREAD would hold stop() for up to its timeout: cut the connection instead of QUIT.
          blocking.disconnect();
          return mirror.stop();
        });
      }
      app = createSlackApp({
        slack,
        port: config.port,
        logger,
        health: async () => {
          const pong = await withDeadline(redis.ping(), 1000, 'redis ping').catch(() => 'down');
          return {
            ok: pong === 'PONG',
            detail: { role: config.role, redis: pong === 'PONG' ? 'ok' : 'down' },
          };
        },
      });
      registerNetcheckCommand(app, {
        inventory: config.inventory,
        queues,
        runs,
        audit,
        isoNow: () => new Date().toISOString(),
        logger,
      });
      registerPlanActions(app, {
        plans,
        queues,
        approvers: config.approvers,
        audit,
        now: () => Date.now(),
        isoNow: () => new Date().toISOString(),
        logger,
      });
      app.error(async (error) => {
        logger.error({ err: error }, 'slack handler failed');
      });
      const started = (await app.start(config.port)) as unknown;
      port = boundPort(started) ?? config.port;
      closers.push(() => app!.stop());
    }
    logger.info({ role: config.role, port, nodes: config.inventory.nodes.length }, 'netcheck started');
    return { config, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function connectRedis(
  url: string,
  options: { maxRetriesPerRequest: null },
  logger: Logger,
): Promise<Redis> {
  const redis = new Redis(url, { ...options, lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await withDeadline(redis.connect(), 5000, 'connecting to Redis');
  } catch (error) {
    redis.disconnect();
    throw Object.assign(
      new Error(
        `REDIS_URL=${url}: cannot connect to Redis (${(error as Error).message}); start Redis or fix REDIS_URL`,
      ),
      {
        code: 'redis-unavailable',
      },
    );
  }
  return redis;
}

function boundPort(server: unknown): number | undefined {
  const address = (server as { address?: () => unknown } | undefined)?.address?.();
  return typeof address === 'object' && address && 'port' in address
    ? Number((address as { port: number }).port)
    : undefined;
}
