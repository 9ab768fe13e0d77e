import type { IncomingMessage, ServerResponse } from 'node:http';
import { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackConfig } from '../config/load-config.js';
import { boltLogger } from './bolt-logger.js';

export interface SlackAppOptions {
  readonly slack: SlackConfig;
  readonly port: number;
  readonly logger: Logger;
  /** Answers GET /healthz. */
  readonly health: () => Promise<{ ok: boolean; detail: Record<string, unknown> }>;
}

/**
 * The Bolt app: HTTP mode at POST /slack/events (Bolt verifies the signature and the 5-minute
 * timestamp window, answering 401 otherwise), or Socket Mode when an app token is configured.
 */
export function createSlackApp(opts: SlackAppOptions): App {
  const healthRoute = {
    path: '/healthz',
    method: ['GET'],
    handler: async (_req: IncomingMessage, res: ServerResponse) => {
      let status = 503;
      let body: Record<string, unknown> = { ok: false };
      try {
        const health = await opts.health();
        status = health.ok ? 200 : 503;
        body = { ok: health.ok, ...health.detail };
      } catch (error) {
        body = { ok: false, error: (error as Error).message };
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    },
  };
  const common = {
    token: opts.slack.botToken,
    logger: boltLogger(opts.logger.child({ component: 'bolt' })),
    clientOptions: { slackApiUrl: opts.slack.apiUrl, timeout: 10_000 },
    customRoutes: [healthRoute],
  };
  if (opts.slack.appToken) {
    return new App({
      ...common,
      socketMode: true,
      appToken: opts.slack.appToken,
      installerOptions: { port: opts.port },
    });
  }
  return new App({
    ...common,
    signingSecret: opts.slack.signingSecret!,
    endpoints: '/slack/events',
    port: opts.port,
  });
}
