import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { findEarlierPost, markerMetadata, wasNotPosted } from '../../src/slack/find-earlier-post.js';

type Call = { method: string; args: Record<string, unknown> };

/** A WebClient stand-in that answers history and replies from a fixed list and records each call. */
function stubClient(messages: object[], calls: Call[] = []): WebClient {
  const answer = (method: string) => async (args: Record<string, unknown>) => {
    calls.push({ method, args });
    return { ok: true, messages };
  };
  return {
    conversations: { history: answer('history'), replies: answer('replies') },
  } as unknown as WebClient;
}

describe('finding an earlier post by its metadata', () => {
  const outbox = { eventType: 'netcheck_outbox', key: 'id', value: 'run-1-report' };
  const audit = { eventType: 'netcheck_audit', key: 'seq', value: 12 };

  it('writes the marker as chat.postMessage metadata', () => {
    assert.deepEqual(markerMetadata(audit), { event_type: 'netcheck_audit', event_payload: { seq: 12 } });
  });

  it('finds the post with the same event type and id, and only that one', async () => {
    const client = stubClient([
      { ts: '1.0', text: 'no metadata' },
      { ts: '2.0', metadata: { event_type: 'netcheck_audit', event_payload: { id: 'run-1-report' } } },
      { ts: '3.0', metadata: { event_type: 'netcheck_outbox', event_payload: { id: 'run-1-other' } } },
      { ts: '4.0', metadata: markerMetadata(outbox) },
    ]);
    assert.equal(await findEarlierPost(client, outbox, { channel: 'C1', limit: 100 }), '4.0');
    assert.equal(
      await findEarlierPost(client, { ...outbox, value: 'run-2-report' }, { channel: 'C1', limit: 100 }),
      undefined,
    );
  });

  it('matches a numeric id that Slack hands back as a string', async () => {
    const client = stubClient([
      { ts: '5.0', metadata: { event_type: 'netcheck_audit', event_payload: { seq: '12' } } },
    ]);
    assert.equal(await findEarlierPost(client, audit, { channel: 'C1', limit: 200 }), '5.0');
  });

  it('looks in the thread when given one, else at the channel, with the given page size', async () => {
    const calls: Call[] = [];
    const client = stubClient([], calls);
    await findEarlierPost(client, outbox, { channel: 'C1', threadTs: '9.0', limit: 200 });
    await findEarlierPost(client, outbox, { channel: 'C1', limit: 100 });
    assert.deepEqual(calls, [
      { method: 'replies', args: { channel: 'C1', ts: '9.0', limit: 200, include_all_metadata: true } },
      { method: 'history', args: { channel: 'C1', limit: 100, include_all_metadata: true } },
    ]);
  });

  it('lets a failed lookup throw, so that the caller decides', async () => {
    const client = {
      conversations: {
        history: async () => {
          throw new Error('503');
        },
      },
    } as unknown as WebClient;
    await assert.rejects(findEarlierPost(client, audit, { channel: 'C1', limit: 200 }), /503/);
  });
});

describe('whether a failed post certainly posted nothing', () => {
  it('is sure on 429 and on an ok:false answer', () => {
    assert.equal(wasNotPosted({ code: ErrorCode.RateLimitedError, retryAfter: 1 }), true);
    assert.equal(wasNotPosted({ code: ErrorCode.PlatformError, data: { error: 'invalid_blocks' } }), true);
  });

  it('is not sure on a 5xx, a timeout or anything else', () => {
    assert.equal(wasNotPosted({ code: ErrorCode.HTTPError, statusCode: 503 }), false);
    assert.equal(wasNotPosted({ code: ErrorCode.RequestError }), false);
    assert.equal(wasNotPosted(new Error('socket hang up')), false);
    assert.equal(wasNotPosted(undefined), false);
  });
});
