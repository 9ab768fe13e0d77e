import { Redis } from 'ioredis';
import { withDeadline } from '../core/deadline.js';

const CONNECT_DEADLINE_MS = 5000;

/**
 * A connected Redis client, or an error that says what to do. Workers block on Redis and need
 * `maxRetriesPerRequest: null`, so every connection the roles make uses it.
 */
export async function connectRedis(
  url: string,
  logger: { warn(obj: object, msg: string): void },
): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await withDeadline(redis.connect(), CONNECT_DEADLINE_MS, 'connecting to Redis');
  } catch (error) {
    redis.disconnect();
    throw Object.assign(
      new Error(
        `REDIS_URL=${url}: cannot connect to Redis (${(error as Error).message}); start Redis or fix REDIS_URL`,
      ),
      { code: 'redis-unavailable' },
    );
  }
  return redis;
}
