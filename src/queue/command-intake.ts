import type { Redis } from 'ioredis';
import { KEY_PREFIX } from '../store/redis-keys.js';
import type { CommandRequest } from './job-types.js';

export const INTAKE_STREAM = `${KEY_PREFIX}:intake`;
const RATE_PREFIX = `${KEY_PREFIX}:rate`;

/**
 * How long after the listener sends a command Redis may still accept it, by Redis' own clock. The
 * listener's connection gives up after LISTENER_COMMAND_TIMEOUT_MS (1 s): the gap between the two
 * covers the reply's way back and the error of the clock-offset estimate, so a command the user
 * was told failed can never be accepted later (a frozen Redis that resumes runs the script, finds
 * it too late and writes nothing).
 */
export const ACCEPT_WINDOW_MS = 600;

export type IntakeResult =
  | { readonly status: 'queued' }
  | { readonly status: 'rate-limited'; readonly retryAfterMs: number }
  | { readonly status: 'too-late' };

export interface RateLimit {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * One round trip, atomic: the deadline check (server time), the per-user rate limit (a counter per
 * user and window, shared by every bot replica) and the append to the intake stream. Nothing else
 * is written on a listener's path, which is what keeps the ack fast under load: the audit entry,
 * the run record and the jobs follow from the stream entry (intake-consumer.ts).
 */
const SUBMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[1]) then return {'too-late', 0} end
local limit = tonumber(ARGV[2])
if limit > 0 then
  local used = redis.call('INCR', KEYS[2])
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    ttl = tonumber(ARGV[3])
  end
  if used > limit then return {'rate-limited', ttl} end
end
redis.call('XADD', KEYS[1], '*', 'command', ARGV[4])
return {'queued', 0}
`;

/** Where `/netcheck` requests enter: written by the listener, read by the intake consumer. */
export class CommandIntake {
  /** Redis' clock minus ours, in ms, measured with `TIME`; refreshed in the background. */
  private offsetMs = 0;

  constructor(
    /** A fail-fast listener connection (roles/redis-connection.ts, mode `listener`). */
    private readonly redis: Redis,
    private readonly rateLimit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Measures the offset between Redis' clock and ours (half the round trip is the error bound). */
  async syncClock(): Promise<void> {
    const sent = this.now();
    const [seconds, micros] = await this.redis.time();
    const received = this.now();
    this.offsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
  }

  async submit(command: CommandRequest): Promise<IntakeResult> {
    const notAfter = Math.floor(this.now() + this.offsetMs + ACCEPT_WINDOW_MS);
    const user = command.requestedBy.replace(/[^A-Za-z0-9]/g, '');
    const [status, ttl] = (await this.redis.eval(
      SUBMIT,
      2,
      INTAKE_STREAM,
      `${RATE_PREFIX}:${user}`,
      String(notAfter),
      String(this.rateLimit.count),
      String(this.rateLimit.windowMs),
      JSON.stringify(command),
    )) as [string, number];
    if (status === 'queued') return { status };
    if (status === 'rate-limited') return { status, retryAfterMs: Number(ttl) };
    return { status: 'too-late' };
  }
}

/** A stream entry's payload back as a request, or undefined when it is not one. */
export function parseCommandRequest(raw: string | undefined): CommandRequest | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Partial<CommandRequest>;
    const fields = ['runId', 'node', 'requestedBy', 'channel', 'requestedAt', 'text'] as const;
    const kindOk = value.kind === undefined || value.kind === 'preflight';
    const meshOk =
      value.mesh === undefined ||
      (Array.isArray(value.mesh) && value.mesh.every((n) => typeof n === 'string'));
    return fields.every((f) => typeof value[f] === 'string') && kindOk && meshOk
      ? (value as CommandRequest)
      : undefined;
  } catch {
    return undefined;
  }
}
