import type { AuditEntry } from './audit-event.js';

export interface ExportFilter {
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly node?: string | undefined;
}

/** Entries within [since, until) and about `node` (pure). Times are ISO 8601. */
export function filterEntries(entries: readonly AuditEntry[], f: ExportFilter): AuditEntry[] {
  const since = f.since ? Date.parse(f.since) : Number.NEGATIVE_INFINITY;
  const until = f.until ? Date.parse(f.until) : Number.POSITIVE_INFINITY;
  return entries.filter((e) => {
    const t = Date.parse(e.at);
    return t >= since && t < until && (!f.node || e.node === f.node);
  });
}

const COLUMNS = [
  'seq',
  'at',
  'type',
  'actor',
  'runId',
  'planId',
  'node',
  'summary',
  'data',
  'prev',
  'hash',
  'id',
] as const;

export function toJsonl(entries: readonly AuditEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}

/** RFC 4180 CSV; `data` as JSON. */
export function toCsv(entries: readonly AuditEntry[]): string {
  const cell = (v: unknown) => {
    const text = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const rows = entries.map((e) => COLUMNS.map((c) => cell(e[c])).join(','));
  return `${[COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
