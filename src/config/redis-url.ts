import type { RedisOptions } from 'ioredis';

/** Where Redis is: one server (`redis://`, `rediss://`) or a group watched by Redis Sentinel. */
export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
      readonly name: string;
      readonly username: string | undefined;
      /** The data nodes' password (`requirepass`), from the URL's user info. */
      readonly password: string | undefined;
      /** The sentinels' own password (`requirepass` in sentinel.conf), from `?sentinelPassword=`. */
      readonly sentinelPassword: string | undefined;
      readonly db: number;
      readonly tls: boolean;
    };

export const DEFAULT_SENTINEL_PORT = 26379;
const SENTINEL_URL = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const MASTER_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** A REDIS_URL problem, in words that say what was expected (never containing a password). */
export class RedisUrlError extends Error {
  readonly code = 'redis-url-invalid';
}

/**
 * Parses REDIS_URL. `redis://` and `rediss://` are passed to ioredis as they are; a Sentinel group
 * is `redis+sentinel://[[user]:password@]host1[:26379],host2[:26379],…/<master name>[/<db>]
 * [?sentinelPassword=…]` (`rediss+sentinel://` for TLS to the sentinels and the data nodes).
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new RedisUrlError('expected a redis:// or rediss:// URL such as redis://127.0.0.1:6379');
    }
    return { kind: 'server', url };
  }
  if (!/^rediss?\+sentinel:\/\//.test(url))
    throw new RedisUrlError(
      'expected redis://host:6379, rediss://host:6380, or a Sentinel group redis+sentinel://h1:26379,h2:26379,h3:26379/mymaster',
    );
  const m = SENTINEL_URL.exec(url);
  if (!m) throw new RedisUrlError('expected redis+sentinel://h1:26379,h2:26379,h3:26379/mymaster');
  const [, scheme, userInfo, hostList = '', pathPart = '', query = ''] = m;
  const sentinels = hostList.split(',').map((entry, i) => parseHostPort(entry.trim(), i + 1));
  if (sentinels.length === 0 || hostList.trim() === '')
    throw new RedisUrlError('names no sentinel; expected host:port pairs such as h1:26379,h2:26379,h3:26379');
  const [name = '', dbText, ...more] = pathPart.split('/');
  if (!MASTER_NAME.test(name))
    throw new RedisUrlError(
      `expected the master group name after the sentinels (…:26379/mymaster, as in "sentinel monitor mymaster …"); got ${name === '' ? 'none' : JSON.stringify(name)}`,
    );
  if (more.length > 0 || (dbText !== undefined && !/^(?:[0-9]|1[0-5])$/.test(dbText)))
    throw new RedisUrlError('expected at most a database number 0–15 after the master name (…/mymaster/0)');
  let sentinelPassword: string | undefined;
  for (const pair of query.split('&').filter((p) => p !== '')) {
    const [key = '', value = ''] = pair.split('=');
    if (key !== 'sentinelPassword')
      throw new RedisUrlError(`unknown option "${key}"; the only one is ?sentinelPassword=…`);
    sentinelPassword = decodeURIComponent(value);
  }
  const [user, password] = splitUserInfo(userInfo);
  return {
    kind: 'sentinel',
    sentinels,
    name,
    username: user,
    password,
    sentinelPassword,
    db: dbText === undefined ? 0 : Number(dbText),
    tls: scheme === 'rediss',
  };
}

function parseHostPort(entry: string, n: number): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::([^:]*))?$/.exec(entry);
  const host = m?.[1] ?? '';
  if (!m || !(HOST.test(host) || IPV6.test(host)))
    throw new RedisUrlError(
      `sentinel ${n} (${JSON.stringify(entry)}) is not host[:port]; expected e.g. 10.0.0.5:26379 or redis-1.internal`,
    );
  const port = m[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[2]);
  if (!/^[0-9]{1,5}$/.test(m[2] ?? '26379') || port < 1 || port > 65535)
    throw new RedisUrlError(
      `sentinel ${n} (${host}) has port ${JSON.stringify(m[2])}; expected 1–65535 (default 26379)`,
    );
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

function splitUserInfo(userInfo: string | undefined): [string | undefined, string | undefined] {
  if (userInfo === undefined || userInfo === '') return [undefined, undefined];
  const i = userInfo.indexOf(':');
  const user = decodeURIComponent(i < 0 ? userInfo : userInfo.slice(0, i));
  const password = i < 0 ? undefined : decodeURIComponent(userInfo.slice(i + 1));
  // `redis://:pw@` means a password without a user (the Redis < 6 form).
  return i < 0 ? [undefined, user] : [user === '' ? undefined : user, password];
}

/**
 * The ioredis options for a Sentinel group. Every connection netcheck makes (BullMQ's blocking
 * ones included: BullMQ duplicates the connection it is given, options and all) asks the sentinels
 * for the current master whenever it (re)connects, so it follows a failover once its connection to
 * the old master breaks; a command answered READONLY (a demoted master) reconnects too
 * (roles/redis-connection.ts). ioredis' `failoverDetector` is left off: its sentinel subscriptions
 * outlived quit() in our tests and kept reconnecting to sentinels after shutdown.
 */
export function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>): RedisOptions {
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    role: 'master',
    db: target.db,
    enableReadyCheck: true,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  };
}
