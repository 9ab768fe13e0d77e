import { z } from 'zod';
import { ZONE_PATTERN } from './inventory-schema.js';
import { parseRedisUrl, RedisUrlError } from './redis-url.js';

const csv = (pattern: RegExp, what: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    )
    .refine((items) => items.every((v) => pattern.test(v)), {
      message: `expected a comma-separated list of ${what}`,
    });

/** The environment contract of DESIGN.md. Empty strings count as unset, as shells and compose files produce them. */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'expected a bot token starting with "xoxb-"')
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .min(8, "expected the app's signing secret (Basic Information → App Credentials)")
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'expected an app-level token starting with "xapp-"')
    .optional(),
  SLACK_API_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://slack.com/api/' })
    .transform((u) => (u.endsWith('/') ? u : `${u}/`))
    .default('https://slack.com/api/'),
  PORT: z.coerce
    .number({ error: 'expected a TCP port number' })
    .int()
    .min(0, 'expected a TCP port number (0 picks a free port)')
    .max(65535, 'expected a TCP port number')
    .default(3000),
  // redis://, rediss:// or a Sentinel group redis+sentinel://h1:26379,h2:26379/mymaster (config/redis-url.ts).
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      try {
        parseRedisUrl(url);
      } catch (error) {
        if (!(error instanceof RedisUrlError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    })
    .default('redis://127.0.0.1:6379'),
  NETCHECK_INVENTORY: z.string().min(1).default('./inventory.yaml'),
  NETCHECK_AUDIT_CHANNEL: z
    .string()
    .regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD')
    .optional(),
  NETCHECK_APPROVERS: csv(
    /^[UWS][A-Z0-9]{2,}$/,
    'Slack user ids (U0123ABCD) or user-group ids (S0123ABCD)',
  ).default([]),
  NETCHECK_CHANNELS: csv(/^[CGD][A-Z0-9]{2,}$/, 'Slack channel ids such as C0123ABCD').optional(),
  NETCHECK_USERS: csv(
    /^[UWS][A-Z0-9]{2,}$/,
    'Slack user ids (U0123ABCD) or user-group ids (S0123ABCD)',
  ).optional(),
  NETCHECK_RATE_LIMIT: z
    .string()
    .regex(/^\s*[1-9]\d{0,4}\s*\/\s*[1-9]\d{0,4}\s*[smh]\s*$/, {
      message: 'expected commands per user per window, such as 5/1m, 20/1h or 3/30s',
    })
    .transform((s) => {
      const [, count, amount, unit] = /^\s*(\d+)\s*\/\s*(\d+)\s*([smh])\s*$/.exec(s) ?? [];
      const unitMs = unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000;
      return { count: Number(count), windowMs: Number(amount) * unitMs };
    })
    .default({ count: 5, windowMs: 60_000 }),
  NETCHECK_PLAN_KEY: z
    .string()
    .min(32, 'expected a secret of at least 32 characters (for example the output of `openssl rand -hex 32`)')
    .optional(),
  // Backups of cluster secrets on the nodes: at least 2 kept and 1 h, so the backup a rollback
  // offer restores from (offered after a failed step, valid 15 min) is never pruned under it.
  NETCHECK_BACKUP_KEEP: z.coerce
    .number({ error: 'expected how many backups each node keeps, a whole number such as 10' })
    .int('expected a whole number of backups, such as 10')
    .min(2, 'expected at least 2 (the backup a rollback restores from must survive the next plan)')
    .max(1000, 'expected at most 1000 backups')
    .default(10),
  NETCHECK_BACKUP_MAX_AGE: z
    .string()
    .regex(/^[1-9][0-9]{0,6}[mhd]$/, 'expected an age such as 30d, 12h or 90m (minutes, hours or days)')
    .transform((s) => Number(s.slice(0, -1)) * { m: 1, h: 60, d: 1440 }[s.slice(-1) as 'm' | 'h' | 'd'])
    .refine((minutes) => minutes >= 60, {
      message: 'expected at least 1h, so a rollback offer can still restore',
    })
    .default(30 * 1440),
  // Scheduled sweeps (issue 16): off unless an interval is given; at least 2 s (tests), minutes in production.
  NETCHECK_SWEEP_INTERVAL: z
    .string()
    .regex(
      /^[1-9][0-9]{0,5}(s|m|h)$/,
      'expected an interval such as 30s, 5m or 1h (seconds, minutes or hours)',
    )
    .transform(
      (s) => Number(s.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[s.slice(-1) as 's' | 'm' | 'h'],
    )
    .refine((ms) => ms >= 2000 && ms <= 24 * 3_600_000, { message: 'expected an interval from 2s to 24h' })
    .optional(),
  NETCHECK_SWEEP_CHANNEL: z
    .string()
    .regex(/^[CGD][A-Z0-9]{2,}$/, 'expected a Slack channel id such as C0123ABCD')
    .optional(),
  NETCHECK_ROLE: z
    .enum(['all', 'bot', 'worker'], { error: 'expected one of: all, bot, worker' })
    .default('all'),
  KUBECONFIG: z.string().min(1).optional(),
  // A worker's zones (inventory `zone:`): it takes only their jobs. Unset: the nodes without a zone.
  NETCHECK_ZONE: csv(ZONE_PATTERN, 'zone names (1-32 lowercase letters, digits and "-", such as rack-b)')
    .refine((zones) => zones.length > 0, { message: 'expected at least one zone name, such as rack-b' })
    .optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected one of: fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

export type Env = z.infer<typeof envSchema>;
export type Role = Env['NETCHECK_ROLE'];
