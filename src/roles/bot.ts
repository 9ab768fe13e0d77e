import { hostname } from 'node:os';
import { WebClient } from '@slack/web-api';
import { withDeadline } from '../core/deadline.js';
import { acceptCommand } from '../queue/accept-command.js';
import { CommandIntake } from '../queue/command-intake.js';
import { startIntakeConsumer } from '../queue/intake-consumer.js';
import { startOutboxWorker } from '../queue/outbox-worker.js';
import { Queues } from '../queue/queues.js';
import { zoneRouting } from '../queue/zone-routing.js';
import { accessMiddleware } from '../slack/access-middleware.js';
import { AccessPolicy } from '../slack/access-policy.js';
import { registerPlanActions } from '../slack/actions/plan-actions.js';
import { startAuditMirror } from '../slack/audit-mirror.js';
import { registerNetcheckCommand } from '../slack/commands/netcheck-command.js';
import { createOutboxDelivery } from '../slack/outbox-delivery.js';
import { createSlackApp } from '../slack/slack-app.js';
import { UserGroups } from '../slack/user-groups.js';
import { AuditStore } from '../store/audit-store.js';
import { PlanStore } from '../store/plan-store.js';
import { ZoneLiveness } from '../store/zone-liveness.js';
import { connectRedis } from './redis-connection.js';
import type { RoleContext } from './role-context.js';

const HEALTH_PING_DEADLINE_MS = 1000;
/** How often the intake re-measures the offset between Redis' clock and ours. */
const CLOCK_SYNC_MS = 30_000;
const GROUP_WARM_DEADLINE_MS = 3000;

/**
 * A bot: holds the Slack tokens, takes commands and button clicks, delivers the outbox and mirrors
 * the audit log. Never loads the SSH stack. Composition only. Returns the HTTP port actually bound.
 */
export async function startBotRole(ctx: RoleContext): Promise<{ port: number | undefined }> {
  const { config, logger, clock, ids, redis, queues, runs, audit } = ctx;
  // Validated at load time: a role that runs a bot has Slack settings.
  const slack = config.slack!;
  // Our own client for the outbox: no in-memory retries (a crash would lose them); the outbox retries durably.
  const client = new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  ctx.addWorker(
    startOutboxWorker({
      connection: redis,
      logger: logger.child({ component: 'outbox' }),
      deliver: createOutboxDelivery({
        client,
        runs,
        controlPlane: new Set(
          config.inventory.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name),
        ),
        now: clock.now,
        logger: logger.child({ component: 'outbox' }),
        onSlackError: (code) => ctx.metrics.slackError(code),
      }),
    }),
  );

  if (config.auditChannel) {
    const blocking = await connectRedis(config.redisUrl, logger);
    const mirror = startAuditMirror({
      store: audit,
      redis,
      runs,
      client,
      channel: config.auditChannel,
      waitForMore: (afterId, ms) => audit.waitAfter(blocking, afterId, ms),
      // One mirror posts at a time; the owner names this process in the lease.
      owner: ids.next(`${hostname()}-${process.pid}`),
      now: clock.now,
      logger: logger.child({ component: 'audit-mirror' }),
    });
    ctx.onStop(() => {
      // A blocked XREAD would hold stop() for up to its timeout: cut the connection instead of QUIT.
      blocking.disconnect();
      return mirror.stop();
    });
  }

  // What the listeners write with: a connection that fails at once instead of queueing while Redis
  // is away, so every command and click is answered within Slack's 3 s and nothing the user was
  // told failed runs later (roles/redis-connection.ts). Audit appends WATCH, so they get their own.
  const listenerRedis = await connectRedis(config.redisUrl, logger, 'listener');
  ctx.onStop(() => listenerRedis.quit());
  const listenerAuditWriter = await connectRedis(config.redisUrl, logger, 'listener');
  ctx.onStop(() => listenerAuditWriter.quit());
  const listener = {
    queues: new Queues(
      listenerRedis,
      (error) =>
        logger.warn({ err: error }, 'listener queue: Redis error (clicks answer "Redis is unavailable")'),
      zoneRouting(config.inventory),
    ),
    plans: new PlanStore(listenerRedis),
    audit: new AuditStore(listenerRedis, listenerAuditWriter, clock.isoNow, ctx.observeAudit),
  };
  ctx.onStop(() => listener.queues.close());

  const intake = new CommandIntake(listenerRedis, config.rateLimit, clock.now);
  await intake.syncClock();
  const clockSync = setInterval(
    () =>
      void intake
        .syncClock()
        .catch((error: unknown) => logger.warn({ err: error }, 'could not read the Redis clock')),
    CLOCK_SYNC_MS,
  );
  clockSync.unref();
  ctx.onStop(async () => clearInterval(clockSync));
  // Accepted commands become audit entries, runs and jobs here, durably, off the listener's path.
  const zones = { zoneOf: zoneRouting(config.inventory).zoneOf, liveness: new ZoneLiveness(redis) };
  const intakeBlocking = await connectRedis(config.redisUrl, logger);
  const consumer = startIntakeConsumer({
    blocking: intakeBlocking,
    redis,
    consumer: ids.next(`${hostname()}-${process.pid}`),
    handle: (command) => acceptCommand({ runs, queues, audit, zones }, command),
    logger: logger.child({ component: 'intake' }),
  });
  ctx.onStop(() => consumer.stop());

  const groups = new UserGroups(
    async (usergroup) => {
      const answer = await client.usergroups.users.list({ usergroup });
      return answer.users ?? [];
    },
    logger.child({ component: 'user-groups' }),
  );
  const policy = new AccessPolicy({
    channels: config.channels,
    users: config.users,
    approvers: config.approvers,
    groups,
  });
  if (!policy.restrictsChannels)
    logger.warn(
      {},
      'NETCHECK_CHANNELS is not set: /netcheck and its buttons work in every channel the bot is in, and reports (routes, firewall rules) go to whichever channel asked; set NETCHECK_CHANNELS to the incident channel ids',
    );
  await withDeadline(groups.warm(policy.groupIds), GROUP_WARM_DEADLINE_MS, 'listing user groups').catch(
    () => undefined,
  );

  const app = createSlackApp({
    slack,
    port: config.port,
    logger,
    metrics: ctx.metrics,
    health: async () => {
      const pong = await withDeadline(redis.ping(), HEALTH_PING_DEADLINE_MS, 'redis ping').catch(
        () => 'down',
      );
      return { ok: pong === 'PONG', detail: { role: config.role, redis: pong === 'PONG' ? 'ok' : 'down' } };
    },
  });
  app.use(accessMiddleware({ policy, audit: listener.audit, logger }));
  registerNetcheckCommand(app, {
    inventory: config.inventory,
    intake,
    rateLimit: config.rateLimit,
    audit: listener.audit,
    isoNow: clock.isoNow,
    ids,
    countCommand: (outcome) => ctx.metrics.command(outcome),
    logger,
  });
  registerPlanActions(app, {
    plans: listener.plans,
    queues: listener.queues,
    isApprover: (user) => policy.isApprover(user),
    controlPlane: new Set(
      config.inventory.nodes.filter((n) => n.role === 'control-plane').map((n) => n.name),
    ),
    audit: listener.audit,
    now: clock.now,
    isoNow: clock.isoNow,
    logger,
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'slack handler failed');
  });
  const started = (await app.start(config.port)) as unknown;
  ctx.onStop(() => app.stop());
  return { port: boundPort(started) ?? config.port };
}

/** The port a started Bolt receiver listens on (PORT=0 picks a free one), when it is an HTTP server. */
function boundPort(server: unknown): number | undefined {
  const address = (server as { address?: () => unknown } | undefined)?.address?.();
  return typeof address === 'object' && address && 'port' in address
    ? Number((address as { port: number }).port)
    : undefined;
}
