import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl, sentinelOptions } from '../config/redis-url.js';
import { withDeadline } from '../core/deadline.js';
import { maskCredentials } from '../core/mask-credentials.js';

const CONNECT_DEADLINE_MS = 5000;
/** A listener's Redis command answers within this or fails: Slack needs an answer within 3 s. */
export const LISTENER_COMMAND_TIMEOUT_MS = 1000;

/**
 * How a connection behaves while Redis is away.
 * - `durable` (workers, queues, background loops): commands wait for Redis to come back
 *   (`maxRetriesPerRequest: null`, which BullMQ's blocking workers require).
 * - `listener` (what Slack listeners write with): fail at once instead. No offline queue and no
 *   re-sending after a reconnect, so a command the user was told failed is never replayed later;
 *   a command stuck on a frozen server times out. The connection itself keeps reconnecting, so the
 *   first command after Redis returns works without a restart.
 */
export type RedisMode = 'durable' | 'listener';

/** A command sent to a master that a failover demoted: reconnect (the sentinels name the new one). */
const demoted = (error: Error) => error.message.startsWith('READONLY');

const MODES: Record<RedisMode, RedisOptions> = {
  // After a failover, re-send the command that met the demoted master (2): it was refused, not run.
  durable: { maxRetriesPerRequest: null, reconnectOnError: (e) => (demoted(e) ? 2 : false) },
  listener: {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: LISTENER_COMMAND_TIMEOUT_MS,
    // Reconnect quickly and forever: the next command should find Redis as soon as it is back.
    retryStrategy: (times) => Math.min(100 * times, 1000),
    reconnectOnError: (e) => demoted(e),
  },
};

/** A connected Redis client, or an error that says what to do. */
export async function connectRedis(
  url: string,
  logger: { warn(obj: object, msg: string): void },
  mode: RedisMode = 'durable',
): Promise<Redis> {
  const redis = redisClient(url, { ...MODES[mode], lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error, mode }, 'redis connection error'));
  try {
    await withDeadline(redis.connect(), CONNECT_DEADLINE_MS, 'connecting to Redis');
  } catch (error) {
    redis.disconnect();
    throw Object.assign(
      new Error(
        `REDIS_URL=${maskCredentials(url)}: cannot connect to Redis (${maskCredentials((error as Error).message)}); start Redis or fix REDIS_URL`,
      ),
      { code: 'redis-unavailable' },
    );
  }
  return redis;
}

/**
 * An ioredis client for REDIS_URL (validated by config): one server, or the current master of a
 * Sentinel group. BullMQ duplicates it for its blocking connections, Sentinel options included.
 */
export function redisClient(url: string, options: RedisOptions): Redis {
  const target = parseRedisUrl(url);
  return target.kind === 'sentinel'
    ? new Redis({ ...sentinelOptions(target), ...options })
    : new Redis(target.url, options);
}
