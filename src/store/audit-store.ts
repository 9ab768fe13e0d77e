import type { Redis } from 'ioredis';
import { entryHash, GENESIS } from '../audit/audit-chain.js';
import type { AuditEntry, AuditEvent, Auditor } from '../audit/audit-event.js';
import { redactDeep } from '../audit/redact.js';
import { KEY_PREFIX } from './redis-keys.js';

export const AUDIT_STREAM = `${KEY_PREFIX}:audit`;
const HEAD = `${KEY_PREFIX}:audit:head`;
const MAX_APPEND_ATTEMPTS = 50;
/** Events written in one transaction at most. */
const MAX_BATCH = 100;

/**
 * The append-only audit log: a Redis stream whose entries each carry the hash of the one before.
 * Appends are serialised in this process and made atomic across processes with WATCH on the head,
 * on a connection of their own (WATCH belongs to a connection, so it cannot share the main one).
 */
export class AuditStore implements Auditor {
  /** Events waiting for the append on its way to finish, with their callers. */
  private readonly waiting: {
    event: AuditEvent;
    resolve: (entry: AuditEntry) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private flushing = false;

  constructor(
    private readonly redis: Redis,
    private readonly writer: Redis,
    private readonly isoNow: () => string,
    /** Sees each event once it is appended (the metrics count from here). */
    private readonly onAppended: (event: AuditEvent) => void = () => undefined,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.append(event);
  }

  append(event: AuditEvent): Promise<AuditEntry> {
    return new Promise<AuditEntry>((resolve, reject) => {
      this.waiting.push({ event: redactDeep(event), resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * Group commit: events that queued up while an append was on its way go out together, in order,
   * in one WATCH/GET/MULTI (a burst of 50 runs records hundreds of events; one by one, each cost
   * three Redis round trips in a single file). A batch is written whole or not at all.
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      try {
        const entries = await this.appendNow(batch.map((b) => b.event));
        for (const [i, b] of batch.entries()) {
          b.resolve(entries[i]!);
          this.observe(b.event);
        }
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.flushing = false;
  }

  private observe(event: AuditEvent): void {
    try {
      this.onAppended(event);
    } catch {
      // A metric that cannot be counted must never fail or delay an audit append.
    }
  }

  private async appendNow(events: readonly AuditEvent[]): Promise<AuditEntry[]> {
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      // WATCH then GET in one round trip: the connection sends them in this order.
      const [, raw] = await Promise.all([this.writer.watch(HEAD), this.writer.get(HEAD)]);
      let head = parseHead(raw);
      const at = this.isoNow();
      const entries = events.map((event) => {
        const body = { ...event, seq: head.seq + 1, at, prev: head.hash };
        const hash = entryHash(body);
        head = { seq: body.seq, hash };
        return { ...body, hash };
      });
      const tx = this.writer.multi();
      for (const entry of entries) tx.xadd(AUDIT_STREAM, '*', ...toFields(entry));
      const result = await tx.set(HEAD, JSON.stringify(head)).exec();
      if (result) {
        return entries.map((entry, i) => {
          const [err, id] = result[i] ?? [];
          if (err) throw err;
          return { ...entry, id: String(id) };
        });
      }
      // Another process appended first: read the new head and chain onto it.
    }
    await this.writer.unwatch();
    throw new Error(`audit append lost the race ${MAX_APPEND_ATTEMPTS} times; nothing was written`);
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const raw = await this.redis.get(HEAD);
    return raw ? parseHead(raw) : undefined;
  }

  /** Entries in stream order, from `afterId` (exclusive), at most `count`. */
  async read(afterId = '-', count = 1000): Promise<AuditEntry[]> {
    const start = afterId === '-' ? '-' : `(${afterId}`;
    const rows = await this.redis.xrange(AUDIT_STREAM, start, '+', 'COUNT', count);
    return rows.map(([id, fields]) => fromFields(id, fields));
  }

  async readAll(): Promise<AuditEntry[]> {
    const all: AuditEntry[] = [];
    let after = '-';
    for (;;) {
      const page = await this.read(after, 1000);
      all.push(...page);
      if (page.length < 1000) return all;
      after = page[page.length - 1]!.id;
    }
  }

  /** Waits (bounded) for entries after `afterId`, on the given blocking connection. */
  async waitAfter(blocking: Redis, afterId: string, blockMs: number): Promise<void> {
    await blocking.xread(
      'COUNT',
      1,
      'BLOCK',
      blockMs,
      'STREAMS',
      AUDIT_STREAM,
      afterId === '-' ? '0' : afterId,
    );
  }
}

function parseHead(raw: string | null): { seq: number; hash: string } {
  if (!raw) return { seq: 0, hash: GENESIS };
  const h = JSON.parse(raw) as { seq: number; hash: string };
  return { seq: h.seq, hash: h.hash };
}

function toFields(e: Omit<AuditEntry, 'id'>): string[] {
  return [
    'seq',
    String(e.seq),
    'at',
    e.at,
    'type',
    e.type,
    'actor',
    e.actor,
    'runId',
    e.runId ?? '',
    'planId',
    e.planId ?? '',
    'node',
    e.node ?? '',
    'summary',
    e.summary,
    'data',
    JSON.stringify(e.data ?? null),
    'prev',
    e.prev,
    'hash',
    e.hash,
  ];
}

function fromFields(id: string, fields: string[]): AuditEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  let data: Record<string, unknown> | undefined;
  try {
    data = (JSON.parse(f.data ?? 'null') as Record<string, unknown> | null) ?? undefined;
  } catch {
    // A tampered, unparseable data field: keep it as text so verify reports the changed entry.
    data = { unparseable: f.data };
  }
  return {
    id,
    seq: Number(f.seq),
    at: f.at ?? '',
    type: (f.type ?? '') as AuditEntry['type'],
    actor: f.actor ?? '',
    runId: f.runId || undefined,
    planId: f.planId || undefined,
    node: f.node || undefined,
    summary: f.summary ?? '',
    data,
    prev: f.prev ?? '',
    hash: f.hash ?? '',
  };
}
