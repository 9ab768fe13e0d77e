import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigError } from '../../src/config/config-error.js';
import { parseEnv } from '../../src/config/load-config.js';
import { parseRedisUrl, sentinelOptions } from '../../src/config/redis-url.js';

const refusal = (url: string): string => {
  try {
    parseEnv({ REDIS_URL: url });
  } catch (error) {
    return (error as ConfigError).message;
  }
  assert.fail(`REDIS_URL=${url} was accepted`);
};

describe('REDIS_URL', () => {
  it('a plain server URL passes through unchanged', () => {
    assert.deepEqual(parseRedisUrl('rediss://:pw@redis.internal:6380/2'), {
      kind: 'server',
      url: 'rediss://:pw@redis.internal:6380/2',
    });
  });

  it('a Sentinel group: every sentinel, the master name, passwords, db; ioredis options follow the master', () => {
    const target = parseRedisUrl(
      'redis+sentinel://:data%40pw@10.0.0.5:26380,redis-2.internal,[::1]:26381/mymaster/3?sentinelPassword=s%26pw',
    );
    assert.deepEqual(target, {
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.5', port: 26380 },
        { host: 'redis-2.internal', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      username: undefined,
      password: 'data@pw',
      sentinelPassword: 's&pw',
      db: 3,
      tls: false,
    });
    if (target.kind !== 'sentinel') return;
    const options = sentinelOptions(target);
    assert.equal(options.role, 'master');
    assert.equal(options.name, 'mymaster');
    assert.equal(options.password, 'data@pw');
    assert.equal(options.sentinelPassword, 's&pw');
    assert.equal(options.enableReadyCheck, true);
    assert.equal(options.tls, undefined);
    const tls = parseRedisUrl('rediss+sentinel://acl-user:pw@h1:26379/main');
    assert.equal(tls.kind === 'sentinel' && tls.username, 'acl-user');
    assert.equal(tls.kind === 'sentinel' && sentinelOptions(tls).enableTLSForSentinelMode, true);
  });

  it('a bad URL is refused with what was wrong, and no password is shown', () => {
    assert.match(refusal('http://x'), /REDIS_URL="http:\/\/x": expected redis:\/\/host:6379/);
    assert.match(refusal('redis+sentinel://h1:26379,h2:26379'), /expected the master group name/);
    assert.match(
      refusal('redis+sentinel://h1:26379,h_2:26379/m'),
      /sentinel 2 \("h_2:26379"\) is not host\[:port\]/,
    );
    assert.match(
      refusal('redis+sentinel://h1:99999/m'),
      /sentinel 1 \(h1\) has port "99999"; expected 1–65535/,
    );
    assert.match(refusal('redis+sentinel://h1/m/99'), /database number 0–15/);
    const secret = refusal('redis+sentinel://:hunter2@h1/m?sentinelPassword=swordfish&retry=1');
    assert.match(secret, /unknown option "retry"/);
    assert.ok(!secret.includes('hunter2') && !secret.includes('swordfish'), secret);
    assert.match(secret, /REDIS_URL="redis\+sentinel:\/\/\*\*\*@h1\/m\?sentinelPassword=\*\*\*&retry=1"/);
  });
});
