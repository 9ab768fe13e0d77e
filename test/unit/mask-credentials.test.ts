import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskCredentials } from '../../src/core/mask-credentials.js';

describe('maskCredentials', () => {
  it('hides the password (and user) of every URL in a text', () => {
    assert.equal(
      maskCredentials('REDIS_URL=redis://:s3cr3t@10.0.0.5:6379/0: cannot connect'),
      'REDIS_URL=redis://***@10.0.0.5:6379/0: cannot connect',
    );
    assert.equal(
      maskCredentials('a rediss://netcheck:p%40ss@redis.example:6380 and https://u:p@h/x'),
      'a rediss://***@redis.example:6380 and https://***@h/x',
    );
    assert.equal(
      maskCredentials('redis+sentinel://:pw@h1:26379,h2:26379/mymaster'),
      'redis+sentinel://***@h1:26379,h2:26379/mymaster',
    );
  });

  it('leaves URLs without credentials and other text alone', () => {
    const text = 'redis://127.0.0.1:6379 user@example.com https://slack.com/api/';
    assert.equal(maskCredentials(text), text);
  });
});
