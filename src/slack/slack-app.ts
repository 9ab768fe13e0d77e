import { App } from '@slack/bolt';
import type { Logger } from 'pino';
import type { SlackConfig } from '../config/load-config.js';
import { type Health, healthHandler, metricsHandler } from '../metrics/http-routes.js';
import { boltLogger } from './bolt-logger.js';

export interface SlackAppOptions {
  readonly slack: SlackConfig;
  readonly port: number;
  readonly logger: Logger;
  /** Answers GET /healthz. */
  readonly health: Health;
  /** Answers GET /metrics (Prometheus text); the bot and a worker in the same process share it. */
  readonly metrics?: { render(): Promise<string>; readonly contentType: string };
}

/**
 * The Bolt app: HTTP mode at POST /slack/events (Bolt verifies the signature and the 5-minute
 * timestamp window, answering 401 otherwise), or Socket Mode when an app token is configured.
 */
export function createSlackApp(opts: SlackAppOptions): App {
  const customRoutes = [{ path: '/healthz', method: ['GET'], handler: healthHandler(opts.health) }];
  if (opts.metrics)
    customRoutes.push({ path: '/metrics', method: ['GET'], handler: metricsHandler(opts.metrics) });
  const common = {
    token: opts.slack.botToken,
    logger: boltLogger(opts.logger.child({ component: 'bolt' })),
    clientOptions: { slackApiUrl: opts.slack.apiUrl, timeout: 10_000 },
    customRoutes,
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
