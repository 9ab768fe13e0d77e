import type { CatalogId } from './catalog.js';

export type PreflightStatus = 'pass' | 'fail' | 'unknown';

/**
 * One line of a preflight's pass/fail table. `check` is a stable name (for prerequisites with no
 * catalog id: `swap-off`, `hostname-unique`, …); a failure that is a catalogued fault carries its
 * catalog id too, the one a `/netcheck <node>` would report once the node has joined.
 */
export interface PreflightRow {
  readonly check: string;
  readonly catalogId?: CatalogId | undefined;
  /** What the row is about: the candidate, or a path such as `node-4 → cp-1`. */
  readonly subject: string;
  readonly status: PreflightStatus;
  /** What was seen (from the node: hostile data, escaped where shown). */
  readonly detail: string;
  readonly area: 'prerequisite' | 'path';
}

export type PreflightVerdict = 'ready' | 'not-ready' | 'incomplete';

export interface PreflightResult {
  readonly node: string;
  readonly verdict: PreflightVerdict;
  readonly headline: string;
  readonly rows: readonly PreflightRow[];
}

/** The verdict from the rows: any failure blocks; otherwise unknowns make it incomplete. */
export function preflightVerdict(node: string, rows: readonly PreflightRow[]): PreflightResult {
  const failed = rows.filter((r) => r.status === 'fail');
  const unknown = rows.filter((r) => r.status === 'unknown');
  const passed = rows.length - failed.length - unknown.length;
  const names = (list: readonly PreflightRow[]) => [...new Set(list.map((r) => r.catalogId ?? r.check))];
  const couldNot =
    unknown.length > 0 ? `; ${unknown.length} could not be checked (${names(unknown).join(', ')})` : '';
  if (failed.length > 0)
    return {
      node,
      verdict: 'not-ready',
      rows,
      headline: `${node} is not ready to join: ${failed.length} of ${rows.length} checks failed (${names(failed).join(', ')})${couldNot}`,
    };
  return {
    node,
    verdict: unknown.length > 0 ? 'incomplete' : 'ready',
    rows,
    headline:
      unknown.length > 0
        ? `no blocker found for ${node}: ${passed} checks passed${couldNot}`
        : `${node} is ready to join: all ${passed} checks passed`,
  };
}
