/** netcheck's own backup folder on every node; pruning never looks anywhere else. */
export const BACKUP_ROOT = '/var/backups/netcheck';

/** How many backups a node keeps, and for how long (NETCHECK_BACKUP_KEEP, NETCHECK_BACKUP_MAX_AGE). */
export interface BackupPolicy {
  /** The newest this many backups are kept (the one being made counts). */
  readonly keep: number;
  /** Older backups than this are removed, however few there are. */
  readonly maxAgeMinutes: number;
}

export const DEFAULT_BACKUP_POLICY: BackupPolicy = { keep: 10, maxAgeMinutes: 30 * 24 * 60 };

/** Where one plan's backup goes, and the policy its backup step prunes the older ones by. */
export interface BackupTarget extends BackupPolicy {
  readonly dir: string;
}

/** A plan's backup folder: `<root>/<UTC stamp>-<plan id>`, so names sort oldest first. */
export function backupDirFor(createdAt: string, planId: string): string {
  const stamp = createdAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${BACKUP_ROOT}/${stamp}-${planId}`;
}
