import type { UserGroups } from './user-groups.js';

/** How long a listener waits for Slack to list a group it has never seen (the cache is warmed at start). */
const GROUP_WAIT_MS = 1000;

export interface AccessPolicyOptions {
  /** NETCHECK_CHANNELS; undefined = every channel. */
  readonly channels: readonly string[] | undefined;
  /** NETCHECK_USERS (user and user-group ids); undefined = everyone in an allowed channel. */
  readonly users: readonly string[] | undefined;
  /** NETCHECK_APPROVERS (user and user-group ids). */
  readonly approvers: readonly string[];
  readonly groups: UserGroups;
}

export type Allowed = { readonly ok: true } | { readonly ok: false; readonly why: string };

const isGroup = (id: string) => id.startsWith('S');

/** Who may act where: channels, who may run /netcheck, who is an approver (users or user groups). */
export class AccessPolicy {
  constructor(private readonly opts: AccessPolicyOptions) {}

  /** The user groups named anywhere in the policy, to warm the cache with. */
  get groupIds(): string[] {
    return [...new Set([...(this.opts.users ?? []), ...this.opts.approvers].filter(isGroup))];
  }

  get restrictsChannels(): boolean {
    return this.opts.channels !== undefined;
  }

  channel(channel: string | undefined): Allowed {
    if (!this.opts.channels) return { ok: true };
    if (channel && this.opts.channels.includes(channel)) return { ok: true };
    return {
      ok: false,
      why: 'netcheck does not work in this channel (NETCHECK_CHANNELS lists where it does); use the incident channel',
    };
  }

  async mayRun(user: string): Promise<Allowed> {
    if (!this.opts.users || (await this.member(user, this.opts.users))) return { ok: true };
    return {
      ok: false,
      why: 'you are not among the people who may run /netcheck (NETCHECK_USERS); ask the on-call engineer',
    };
  }

  isApprover(user: string): Promise<boolean> {
    return this.member(user, this.opts.approvers);
  }

  private async member(user: string, list: readonly string[]): Promise<boolean> {
    if (list.includes(user)) return true;
    for (const group of list.filter(isGroup)) {
      if ((await this.opts.groups.members(group, GROUP_WAIT_MS))?.has(user)) return true;
    }
    return false;
  }
}
