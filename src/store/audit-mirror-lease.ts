import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis-keys.js';

const LEADER = `${KEY_PREFIX}:audit:mirror-leader`;
/** Only ever incremented: each lease taken gets a larger fencing token than any before it. */
const TOKENS = `${KEY_PREFIX}:audit:mirror-token`;
const MIRRORED = `${KEY_PREFIX}:audit:mirrored`;
const SENDING = `${KEY_PREFIX}:audit:mirror-sending`;

// The lease value is "<token> <owner>". A lease that lapsed while its holder was paused (a slow
// Slack, a GC pause) may already be someone else's when the holder wakes up, so every write below
// names the token and Redis refuses it unless that token still holds the lease. Checked and written
// in one script each, or a takeover could fall between the check and the write.

const LEAD = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local token, owner = string.match(cur, '^(%d+) (.*)$')
  if owner ~= ARGV[1] then return false end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(token)
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
return token
`;

// A send recorded by an older version is a bare seq: read it as a send of unknown origin and time.
const DECODE_SEND = `
local function decodeSend(raw)
  local p = cjson.decode(raw)
  if type(p) ~= 'table' then return {seq = tonumber(p), token = 0, startedMs = 0} end
  return p
end
`;

// Run right before each post. 'unknown': an earlier send of this entry may have posted (5xx, a
// timeout, a crash, a leader deposed mid-post); the caller must look it up before posting, and
// says so with ARGV[3] = '1' once it has. The send's start is Redis time, the one clock that all
// replicas share.
const BEGIN_SEND = `${DECODE_SEND}
local cur = redis.call('GET', KEYS[1])
if not cur or string.match(cur, '^(%d+) ') ~= ARGV[1] then return {'lost'} end
local seq = tonumber(ARGV[2])
local cursor = redis.call('GET', KEYS[2])
if cursor and tonumber(cjson.decode(cursor).seq) >= seq then return {'done'} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prev = redis.call('GET', KEYS[3])
if prev and ARGV[3] ~= '1' then
  local p = decodeSend(prev)
  if tonumber(p.seq) == seq then
    return {'unknown', tostring(p.token), tostring(p.startedMs), tostring(now)}
  end
end
redis.call('SET', KEYS[3], cjson.encode({seq = seq, token = ARGV[1], startedMs = now}))
return {'go'}
`;

// The cursor moves one entry forward, and only for the token that holds the lease: a deposed
// leader can move it neither back (a late confirmation) nor forward (past a line it never posted).
const COMMIT = `
local cur = redis.call('GET', KEYS[1])
if not cur or string.match(cur, '^(%d+) ') ~= ARGV[1] then return 0 end
local seq = tonumber(ARGV[2])
local cursor = redis.call('GET', KEYS[2])
local at = 0
if cursor then at = tonumber(cjson.decode(cursor).seq) end
if at + 1 ~= seq then return 0 end
redis.call('SET', KEYS[2], cjson.encode({seq = seq, id = ARGV[3]}))
redis.call('DEL', KEYS[3])
return 1
`;

// Slack certainly did not post (429, ok:false): forget the send, so the next try needs no lookup.
const CLEAR_SEND = `${DECODE_SEND}
local cur = redis.call('GET', KEYS[1])
if not cur or string.match(cur, '^(%d+) ') ~= ARGV[1] then return 0 end
local prev = redis.call('GET', KEYS[2])
if not prev then return 0 end
local p = decodeSend(prev)
if tostring(p.token) ~= ARGV[1] or tonumber(p.seq) ~= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[2])
return 1
`;

const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(%d+) ') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** What BEGIN_SEND decided. */
export type SendPermit =
  /** Post now: the send is recorded under this token. */
  | { readonly kind: 'go' }
  /** The lease is no longer ours: post nothing. */
  | { readonly kind: 'lost' }
  /** The entry is already in the channel (the cursor is past it). */
  | { readonly kind: 'done' }
  /** An earlier send of this entry has an unknown outcome: look it up first. */
  | { readonly kind: 'unknown'; readonly token: number; readonly startedMs: number; readonly nowMs: number };

/**
 * The audit mirror's shared state across bot replicas: the leader lease with its fencing token,
 * the cursor (last entry posted) and the send in progress. Every write is conditional on the token.
 */
export class AuditMirrorLease {
  constructor(private readonly redis: Redis) {}

  /** Takes or renews the lease for `owner`; its fencing token, or undefined if another holds it. */
  async lead(owner: string, ttlMs: number): Promise<number | undefined> {
    const token = await this.redis.eval(LEAD, 2, LEADER, TOKENS, owner, ttlMs);
    return token === null ? undefined : Number(token);
  }

  /** Gives the lease up (at shutdown), so that another replica takes over without waiting for the TTL. */
  async release(token: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, LEADER, String(token));
  }

  /** The seq and stream id of the last entry posted. */
  async cursor(): Promise<{ seq: number; id: string }> {
    const raw = await this.redis.get(MIRRORED);
    if (!raw) return { seq: 0, id: '-' };
    const c = JSON.parse(raw) as { seq: number | string; id: string };
    return { seq: Number(c.seq), id: c.id };
  }

  /** Right before posting entry `seq`: may this token post it now? `lookedUp`: an earlier send was looked for and not found. */
  async beginSend(token: number, seq: number, lookedUp: boolean): Promise<SendPermit> {
    const r = (await this.redis.eval(
      BEGIN_SEND,
      3,
      LEADER,
      MIRRORED,
      SENDING,
      String(token),
      seq,
      lookedUp ? '1' : '0',
    )) as string[];
    const kind = r[0];
    if (kind === 'unknown')
      return { kind, token: Number(r[1]), startedMs: Number(r[2]), nowMs: Number(r[3]) };
    if (kind === 'go' || kind === 'lost' || kind === 'done') return { kind };
    throw new Error(`audit mirror: unexpected answer from Redis: ${JSON.stringify(r)}`);
  }

  /** Entry `seq` (stream id `id`) is in the channel. False when the token no longer holds the lease. */
  async commit(token: number, seq: number, id: string): Promise<boolean> {
    return (await this.redis.eval(COMMIT, 3, LEADER, MIRRORED, SENDING, String(token), seq, id)) === 1;
  }

  /** Slack certainly did not post entry `seq`. */
  async clearSend(token: number, seq: number): Promise<void> {
    await this.redis.eval(CLEAR_SEND, 2, LEADER, SENDING, String(token), seq);
  }
}
