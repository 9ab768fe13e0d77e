import { hostname } from 'node:os';
import { WebClient } from '@slack/web-api';
import { withDeadline } from '../core/deadline.js';
import { startOutboxWorker } from '../queue/outbox-worker.js';
import { registerPlanActions } from '../slack/actions/plan-actions.js';
import { startAuditMirror } from '../slack/audit-mirror.js';
import { registerNetcheckCommand } from '../slack/commands/netcheck-command.js';
import { createOutboxDelivery } from '../slack/outbox-delivery.js';
import { createSlackApp } from '../slack/slack-app.js';
import { connectRedis } from './redis-connection.js';
import type { RoleContext } from './role-context.js';

const HEALTH_PING_DEADLINE_MS = 1000;

/**
 * A bot: holds the Slack tokens, takes commands and button clicks, delivers the outbox and mirrors
 * the audit log. Never loads the SSH stack. Composition only. Returns the HTTP port actually bound.
 */
export async function startBotRole(ctx: RoleContext): Promise<{ port: number | undefined }> {
  const { config, logger, clock, ids, redis, queues, runs, plans, audit } = ctx;
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
        now: clock.now,
        logger: logger.child({ component: 'outbox' }),
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

  const app = createSlackApp({
    slack,
    port: config.port,
    logger,
    health: async () => {
      const pong = await withDeadline(redis.ping(), HEALTH_PING_DEADLINE_MS, 'redis ping').catch(
        () => 'down',
      );
      return { ok: pong === 'PONG', detail: { role: config.role, redis: pong === 'PONG' ? 'ok' : 'down' } };
    },
  });
  registerNetcheckCommand(app, {
    inventory: config.inventory,
    queues,
    runs,
    audit,
    isoNow: clock.isoNow,
    logger,
  });
  registerPlanActions(app, {
    plans,
    queues,
    approvers: config.approvers,
    audit,
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
