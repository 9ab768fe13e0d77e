import { withDeadline } from '../core/deadline.js';

/** Lists a Slack user group's members (`usergroups.users.list`). */
export type ListGroupMembers = (groupId: string) => Promise<readonly string[]>;

/** How long a group's member list is trusted before it is fetched again. */
export const GROUP_TTL_MS = 5 * 60 * 1000;

interface Cached {
  readonly members: ReadonlySet<string>;
  readonly fetchedAt: number;
}

/**
 * Slack user-group membership, cached: a fresh list is used as is; a stale one is used while a new
 * one is fetched in the background (so a Slack hiccup does not lock approvers out); with no list
 * at all the caller waits at most `waitMs`, then the membership is unknown (undefined), which every
 * caller treats as "not a member".
 */
export class UserGroups {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  constructor(
    private readonly list: ListGroupMembers,
    private readonly logger: { warn(obj: object, msg: string): void },
    private readonly now: () => number = Date.now,
    private readonly ttlMs = GROUP_TTL_MS,
  ) {}

  async members(groupId: string, waitMs: number): Promise<ReadonlySet<string> | undefined> {
    const cached = this.cache.get(groupId);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached.members;
    const fetching = this.refresh(groupId);
    if (cached) return cached.members;
    return withDeadline(fetching, waitMs, `members of user group ${groupId}`).catch(() => undefined);
  }

  /** Fetches these groups now (at start), so the first command does not wait for Slack. */
  async warm(groupIds: readonly string[]): Promise<void> {
    await Promise.all(groupIds.map((g) => this.refresh(g)));
  }

  private refresh(groupId: string): Promise<ReadonlySet<string> | undefined> {
    const running = this.inFlight.get(groupId);
    if (running) return running;
    const next = this.list(groupId)
      .then((users) => {
        const members = new Set(users);
        this.cache.set(groupId, { members, fetchedAt: this.now() });
        return members as ReadonlySet<string>;
      })
      .catch((error: unknown) => {
        this.logger.warn(
          { err: error, groupId },
          'could not list a Slack user group (needs the usergroups:read scope); its members count as outsiders until it can be read',
        );
        return this.cache.get(groupId)?.members;
      })
      .finally(() => this.inFlight.delete(groupId));
    this.inFlight.set(groupId, next);
    return next;
  }
}
