import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis-keys.js';

/** Default queue's "zone" in liveness keys (zone names never contain '_'). */
export const DEFAULT_ZONE_KEY = '_default';

const key = (zone: string | undefined) => `${KEY_PREFIX}:zone-workers:${zone ?? DEFAULT_ZONE_KEY}`;

/** How long a heartbeat counts; a worker beats every third of it, so one lost beat is not death. */
export const ZONE_HEARTBEAT_TTL_MS = 15_000;
export const ZONE_HEARTBEAT_EVERY_MS = 5000;

// Times come from Redis (TIME), so workers on machines with skewed clocks agree on who is alive.
const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, k in ipairs(KEYS) do
  redis.call('ZADD', k, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', k, tonumber(ARGV[2]) * 4)
end
return now
`;
const COUNT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;

/**
 * Which workers serve which zone, as heartbeats in Redis: a sorted set per zone, member = worker id,
 * score = when its last beat runs out. The enqueuer asks before it queues a zoned node's job, so a
 * zone with no live worker is reported at once instead of a job waiting for nobody.
 */
export class ZoneLiveness {
  constructor(private readonly redis: Redis) {}

  /** One beat for each zone this worker serves (undefined = the default queue). */
  async beat(workerId: string, zones: readonly (string | undefined)[]): Promise<void> {
    await this.redis.eval(BEAT, zones.length, ...zones.map(key), workerId, String(ZONE_HEARTBEAT_TTL_MS));
  }

  /** A stopping worker leaves at once, rather than counting as alive for another TTL. */
  async leave(workerId: string, zones: readonly (string | undefined)[]): Promise<void> {
    await Promise.all(zones.map((z) => this.redis.zrem(key(z), workerId)));
  }

  /** The ids of the workers whose heartbeat for this zone has not run out. */
  async liveWorkers(zone: string | undefined): Promise<string[]> {
    return (await this.redis.eval(COUNT, 1, key(zone))) as string[];
  }
}
