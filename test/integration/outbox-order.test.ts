import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { OutboxMessage } from '../../src/queue/job-types.js';
import { startOutboxWorker } from '../../src/queue/outbox-worker.js';
import { Queues } from '../../src/queue/queues.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const silent = { warn: () => undefined, error: () => undefined };
const progress = (runId: string, seq: number): OutboxMessage => ({
  kind: 'progress',
  runId,
  seq: String(seq).padStart(3, '0'),
  text: `step ${seq}`,
});

/**
 * The outbox delivers several threads at once, and each thread's messages one after another in the
 * order they were queued (a fix's progress must read top to bottom), against a real Redis.
 */
describe('outbox: threads side by side, each in order', () => {
  let redis: TestRedis;
  let connection: Redis;
  let queues: Queues;
  let worker: Worker | undefined;

  before(async () => {
    redis = await startRedis();
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    queues = new Queues(connection);
  });
  after(async () => {
    await worker?.close();
    await queues?.outbox.close();
    connection?.disconnect();
    await redis?.stop();
  });

  it("delivers two runs' messages in parallel and each run's in queue order", async () => {
    const RUNS = ['run-a', 'run-b', 'run-c'];
    const STEPS = 6;
    const delivered: string[] = [];
    const busy = new Set<string>();
    let overlapped = 0;
    let sameRunAtOnce = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    // One message delivery takes a few event-loop turns and a timer, as a Slack call does.
    const deliver = async (message: OutboxMessage) => {
      if (busy.has(message.runId)) sameRunAtOnce += 1;
      if (busy.size > 0) overlapped += 1;
      busy.add(message.runId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      busy.delete(message.runId);
      delivered.push(`${message.runId}:${(message as { seq: string }).seq}`);
      if (delivered.length === RUNS.length * STEPS) done();
      return { status: 'delivered' as const };
    };
    // Interleaved as workers queue them: step 1 of every run, then step 2, ...
    const messages = Array.from({ length: STEPS }, (_, i) => RUNS.map((r) => progress(r, i + 1))).flat();
    await queues.enqueueOutbox(...messages);
    worker = startOutboxWorker({ connection, deliver, logger: silent });
    await all;
    for (const run of RUNS) {
      const order = delivered.filter((d) => d.startsWith(`${run}:`));
      assert.deepEqual(
        order,
        Array.from({ length: STEPS }, (_, i) => `${run}:${String(i + 1).padStart(3, '0')}`),
        `${run} in order`,
      );
    }
    assert.equal(sameRunAtOnce, 0, 'never two messages of one run at once');
    assert.ok(overlapped > 0, 'different runs were delivered side by side');
  });
});
