import type { AuditEntry } from './audit-event.js';

/**
 * Whether the audit mirror posts an entry to the incident channel (pure). Refusals for who or where
 * (a channel or a user that is not allowed, the rate limit) are kept in the log but not posted:
 * anyone can produce them at will, and the incident channel must not be flooded by them. Nor is a
 * sweep's start and finish (one pair per interval, all day): its problems are posted.
 */
export function isMirrored(entry: Pick<AuditEntry, 'type'>): boolean {
  return entry.type !== 'access.refused' && entry.type !== 'sweep.started' && entry.type !== 'sweep.finished';
}
