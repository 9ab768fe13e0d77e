import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { AuditStore } from '../../src/store/audit-store.js';

/**
 * Reads the audit stream of a test's Redis and waits for entries by blocking reads on the stream
 * (XREAD BLOCK): an event to await, not a sleep.
 */
export class AuditWatch {
  private readonly redis: Redis;
  private readonly blocking: Redis;
  readonly store: AuditStore;

  constructor(url: string) {
    this.redis = new Redis(url);
    this.blocking = new Redis(url);
    this.store = new AuditStore(this.redis, this.redis, () => new Date().toISOString());
  }

  all(): Promise<AuditEntry[]> {
    return this.store.readAll();
  }

  /** The first entry after `afterId` that matches, within `timeoutMs`. */
  async waitFor(
    match: (e: AuditEntry) => boolean,
    timeoutMs: number,
    what: string,
    afterId = '-',
  ): Promise<AuditEntry> {
    const deadline = Date.now() + timeoutMs;
    let cursor = afterId;
    while (Date.now() < deadline) {
      const page = await this.store.read(cursor, 1000);
      const found = page.find(match);
      if (found) return found;
      if (page.length > 0) cursor = page[page.length - 1]!.id;
      await this.store.waitAfter(this.blocking, cursor, Math.max(1, Math.min(1000, deadline - Date.now())));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }

  /** The id of the newest entry, to wait for what comes after it. */
  async lastId(): Promise<string> {
    const [last] = await this.redis.xrevrange('netcheck:audit', '+', '-', 'COUNT', 1);
    return last?.[0] ?? '-';
  }

  close(): void {
    this.redis.disconnect();
    this.blocking.disconnect();
  }
}
