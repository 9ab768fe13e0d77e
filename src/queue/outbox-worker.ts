import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import { type OutboxMessage, QUEUE_NAMES } from './job-types.js';
import { outboxMessageId } from './queues.js';

/** What a delivery attempt reports back; the queue turns it into BullMQ state. */
export type DeliveryOutcome =
  | { readonly status: 'delivered' }
  /** Try again later without spending an attempt (Slack said 429, or the thread parent is not posted yet). */
  | { readonly status: 'wait'; readonly ms: number; readonly reason: string };

/** A send that can never succeed (channel gone, bot not in channel, invalid auth): do not retry. */
export class PermanentDeliveryError extends Error {
  readonly code = 'outbox-permanent';
}

export type Deliver = (message: OutboxMessage, messageId: string) => Promise<DeliveryOutcome>;

export interface OutboxWorkerOptions {
  readonly connection: Redis;
  readonly deliver: Deliver;
  readonly concurrency?: number;
  readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

const MAX_BACKOFF_MS = 30_000;
/**
 * Messages delivered at once by one bot. During an incident's burst, fifty threads' parents and
 * reports queue here together; one at a time, the last report waited for a hundred posts before it.
 */
export const OUTBOX_CONCURRENCY = 4;

/**
 * Delivers queued Slack messages. Because the message lives in Redis until Slack confirms it, a bot
 * restart or a Slack outage delays it but does not lose it; `deliver` makes a re-run safe.
 */
export function startOutboxWorker(opts: OutboxWorkerOptions): Worker<OutboxMessage> {
  const inTurn = runsInTurn();
  return new Worker<OutboxMessage>(
    QUEUE_NAMES.outbox,
    async (job: Job<OutboxMessage>, token?: string) => {
      let outcome: DeliveryOutcome;
      try {
        // A thread's messages (progress of a fix above all) arrive in the order they were queued.
        outcome = await inTurn(job.data.runId, () => opts.deliver(job.data, outboxMessageId(job.data)));
      } catch (error) {
        if (error instanceof PermanentDeliveryError) {
          opts.logger.error({ err: error, jobId: job.id }, 'outbox message cannot be delivered; giving up');
          throw new UnrecoverableError(error.message);
        }
        opts.logger.warn(
          { err: error, jobId: job.id, attempt: job.attemptsMade + 1 },
          'outbox delivery failed; will retry',
        );
        throw error;
      }
      if (outcome.status === 'wait') {
        await job.moveToDelayed(Date.now() + outcome.ms, token);
        throw new DelayedError(outcome.reason);
      }
      return 'delivered';
    },
    {
      connection: opts.connection,
      prefix: KEY_PREFIX,
      concurrency: opts.concurrency ?? OUTBOX_CONCURRENCY,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.max(0, attemptsMade - 1)),
      },
    },
  );
}

/**
 * Calls of one key run one after another, in the order they were made; calls of different keys run
 * side by side. The worker takes jobs in queue order, so one run's messages are delivered in order.
 */
function runsInTurn(): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const last = new Map<string, Promise<unknown>>();
  return (key, fn) => {
    const before = last.get(key) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    last.set(key, settled);
    // Forgotten once nothing else is queued behind it.
    void settled.then(() => {
      if (last.get(key) === settled) last.delete(key);
    });
    return mine;
  };
}
