import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis-keys.js';

/** One `/netcheck` request and what the bot has posted for it. */
export interface RunRecord {
  readonly runId: string;
  readonly node: string;
  readonly channel: string;
  readonly requestedBy: string;
  readonly createdAt: string;
  readonly parentTs: string | undefined;
  /** Set when the parent message cannot be posted at all; replies then go to the channel top level. */
  readonly parentFailed: boolean;
  /**
   * A run started by another run (a mesh's culprit diagnosis): it posts into that run's thread and
   * leaves that run's parent message alone.
   */
  readonly parentRun?: string | undefined;
}

const RUN_TTL_SECONDS = 30 * 24 * 3600;

/** Run records live in one Redis hash per run; fields are only ever added, so concurrent writers cannot clobber each other. */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly isoNow: () => string,
  ) {}

  private key(runId: string): string {
    return `${KEY_PREFIX}:run:${runId}`;
  }

  async create(run: Omit<RunRecord, 'parentTs' | 'parentFailed'>): Promise<void> {
    const key = this.key(run.runId);
    await this.redis
      .multi()
      .hset(key, {
        runId: run.runId,
        node: run.node,
        channel: run.channel,
        requestedBy: run.requestedBy,
        createdAt: run.createdAt,
        ...(run.parentRun ? { parentRun: run.parentRun } : {}),
      })
      .expire(key, RUN_TTL_SECONDS)
      .exec();
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const h = await this.redis.hgetall(this.key(runId));
    if (!h.runId) return undefined;
    // A child run's thread is its parent run's: read that run's parent message.
    const parent = h.parentRun
      ? await this.redis.hmget(this.key(h.parentRun), 'msg:parent', 'parentFailed')
      : [];
    return {
      runId: h.runId,
      node: h.node ?? '',
      channel: h.channel ?? '',
      requestedBy: h.requestedBy ?? '',
      createdAt: h.createdAt ?? '',
      parentTs: (h.parentRun ? parent[0] : h['msg:parent']) || undefined,
      parentFailed: (h.parentRun ? parent[1] : h.parentFailed) === '1',
      ...(h.parentRun ? { parentRun: h.parentRun } : {}),
    };
  }

  async markParentFailed(runId: string): Promise<void> {
    await this.redis.hset(this.key(runId), 'parentFailed', '1');
  }

  /** The ts Slack gave a delivered message, or undefined if it was never confirmed delivered. */
  async deliveredTs(runId: string, messageId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.key(runId), `msg:${messageId}`)) ?? undefined;
  }

  async recordDelivered(runId: string, messageId: string, ts: string): Promise<void> {
    await this.redis.hset(this.key(runId), `msg:${messageId}`, ts);
  }

  /**
   * Marks a send as started. Returns false if an earlier attempt had already started it, in which
   * case that attempt's outcome is unknown (it may have reached Slack before the process died).
   */
  async beginSend(runId: string, messageId: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(runId), `sending:${messageId}`, this.isoNow())) === 1;
  }

  /** Forgets a send marker after Slack definitely did not post (429, ok:false). */
  async endSend(runId: string, messageId: string): Promise<void> {
    await this.redis.hdel(this.key(runId), `sending:${messageId}`);
  }

  /** The rendered message, so a later edit (the plan decided) can rebuild it without the buttons. */
  async saveMessage(
    runId: string,
    name: string,
    body: { text: string; blocks: Record<string, unknown>[] },
  ): Promise<void> {
    await this.redis.hset(this.key(runId), `body:${name}`, JSON.stringify(body));
  }

  async savedMessage(
    runId: string,
    name: string,
  ): Promise<{ text: string; blocks: Record<string, unknown>[] } | undefined> {
    const raw = await this.redis.hget(this.key(runId), `body:${name}`);
    return raw ? (JSON.parse(raw) as { text: string; blocks: Record<string, unknown>[] }) : undefined;
  }

  /**
   * A file upload into the run's thread: `pending` once Slack gave the file id (the upload may or
   * may not have completed), `done` once files.completeUploadExternal answered ok.
   */
  async recordUpload(runId: string, name: string, state: 'pending' | 'done', fileId: string): Promise<void> {
    await this.redis.hset(this.key(runId), `upload:${name}`, JSON.stringify({ state, fileId }));
  }

  async upload(
    runId: string,
    name: string,
  ): Promise<{ state: 'pending' | 'done'; fileId: string } | undefined> {
    const raw = await this.redis.hget(this.key(runId), `upload:${name}`);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as { state: 'pending' | 'done'; fileId: string };
    } catch {
      return undefined;
    }
  }
}
