import type { Redis } from 'ioredis';
import { INTAKE_STREAM, parseCommandRequest } from './command-intake.js';
import type { CommandRequest } from './job-types.js';

const GROUP = 'intake';
const BATCH = 50;
const BLOCK_MS = 2000;
/** An entry another consumer read and has not finished after this long is taken over (its bot died). */
const CLAIM_IDLE_MS = 30_000;
const CLAIM_EVERY_MS = 10_000;
const BACKOFF_START_MS = 200;
const BACKOFF_CAP_MS = 5000;

export interface IntakeConsumerOptions {
  /** A connection of its own: XREADGROUP blocks it. */
  readonly blocking: Redis;
  /** For acknowledging entries. */
  readonly redis: Redis;
  /** This process's name in the consumer group. */
  readonly consumer: string;
  /** Turns an accepted command into its audit entry, run record and jobs; must be safe to repeat. */
  readonly handle: (command: CommandRequest) => Promise<void>;
  readonly logger: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

type Entry = [id: string, fields: string[]];

/**
 * Reads accepted commands from the intake stream, in order, and hands each to `handle` (the
 * entries of one read together); an entry
 * is acknowledged (and deleted) only after `handle` succeeded, so a crash or a Redis outage delays
 * a command the user was told is queued but never loses it. Any number of bot replicas share the
 * work through one consumer group.
 */
export function startIntakeConsumer(opts: IntakeConsumerOptions): { stop(): Promise<void> } {
  let stopped = false;
  let lastClaim = 0;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const processEntry = async ([id, fields]: Entry) => {
    const raw = fields[fields.indexOf('command') + 1];
    const command = parseCommandRequest(raw);
    if (command) await opts.handle(command);
    else opts.logger.error({ id }, 'intake entry is not a command; dropped');
    await opts.redis.multi().xack(INTAKE_STREAM, GROUP, id).xdel(INTAKE_STREAM, id).exec();
  };
  // The entries of one read are independent commands: handled together (a burst of 50 no longer
  // waits its Redis round trips one command after another). Started in stream order, each acked
  // only after its own handle; one that failed stays pending and is read again first.
  const processEntries = async (entries: readonly Entry[]) => {
    const results = await Promise.allSettled(entries.map(processEntry));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const loop = async () => {
    let backoff = BACKOFF_START_MS;
    let groupReady = false;
    while (!stopped) {
      try {
        if (!groupReady) {
          await opts.redis.xgroup('CREATE', INTAKE_STREAM, GROUP, '0', 'MKSTREAM').catch((error: Error) => {
            if (!error.message.includes('BUSYGROUP')) throw error;
          });
          groupReady = true;
        }
        // Our own unfinished entries first (a failed handle), then those of a consumer that died.
        const own = (await opts.blocking.xreadgroup(
          'GROUP',
          GROUP,
          opts.consumer,
          'COUNT',
          BATCH,
          'STREAMS',
          INTAKE_STREAM,
          '0',
        )) as [string, Entry[]][] | null;
        await processEntries(own?.[0]?.[1] ?? []);
        if (Date.now() - lastClaim > CLAIM_EVERY_MS) {
          lastClaim = Date.now();
          const claimed = (await opts.redis.xautoclaim(
            INTAKE_STREAM,
            GROUP,
            opts.consumer,
            CLAIM_IDLE_MS,
            '0-0',
            'COUNT',
            BATCH,
          )) as [string, Entry[]];
          await processEntries(claimed[1].filter((e) => Array.isArray(e[1])));
        }
        const fresh = (await opts.blocking.xreadgroup(
          'GROUP',
          GROUP,
          opts.consumer,
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          INTAKE_STREAM,
          '>',
        )) as [string, Entry[]][] | null;
        await processEntries(fresh?.[0]?.[1] ?? []);
        backoff = BACKOFF_START_MS;
      } catch (error) {
        if (stopped) break;
        if ((error as Error).message.includes('NOGROUP')) groupReady = false;
        opts.logger.warn({ err: error }, 'command intake: will retry (accepted commands are kept)');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_CAP_MS);
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      stopped = true;
      // A blocked XREADGROUP would hold stop() for up to BLOCK_MS: cut its connection instead.
      opts.blocking.disconnect();
      await running;
    },
  };
}
