import { access, constants } from 'node:fs/promises';
import { maskCredentials } from '../core/mask-credentials.js';
import { ConfigError } from './config-error.js';
import { type Env, envSchema, type Role } from './env-schema.js';
import type { Inventory } from './inventory.js';
import { loadInventory } from './load-inventory.js';

export interface SlackConfig {
  readonly botToken: string;
  /** Absent in Socket Mode, where Slack does not sign anything we receive. */
  readonly signingSecret: string | undefined;
  readonly appToken: string | undefined;
  readonly apiUrl: string;
}

export interface Config {
  readonly role: Role;
  readonly port: number;
  readonly redisUrl: string;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly inventory: Inventory;
  /** Present when the role includes the bot. */
  readonly slack: SlackConfig | undefined;
  readonly auditChannel: string | undefined;
  /** User ids (`U…`) and user-group ids (`S…`) who may approve destructive plans. */
  readonly approvers: readonly string[];
  /** Channel ids where commands and buttons work; undefined = every channel (warned at start). */
  readonly channels: readonly string[] | undefined;
  /** User and user-group ids who may run `/netcheck`; undefined = everyone in an allowed channel. */
  readonly users: readonly string[] | undefined;
  /** Per-user limit on `/netcheck` (NETCHECK_RATE_LIMIT, default 5 per minute), held in Redis. */
  readonly rateLimit: { readonly count: number; readonly windowMs: number };
  /** The plan-signing secret; present exactly when the role includes a worker. */
  readonly planKey: string | undefined;
  readonly kubeconfigPath: string | undefined;
  /** How many backups each node keeps and for how long (NETCHECK_BACKUP_KEEP, NETCHECK_BACKUP_MAX_AGE). */
  readonly backup: { readonly keep: number; readonly maxAgeMinutes: number };
  /**
   * The zones whose jobs this worker takes (NETCHECK_ZONE); undefined: the default queue, i.e. the
   * nodes without a zone (every node of an inventory without zones). See docs/architecture.md, "Zones".
   */
  readonly zones?: readonly string[] | undefined;
  /** Scheduled sweeps (NETCHECK_SWEEP_INTERVAL, NETCHECK_SWEEP_CHANNEL); undefined = off. */
  readonly sweep: { readonly intervalMs: number; readonly channel: string } | undefined;
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Parses the environment alone (no I/O), so every variable error is reported at once. */
export function parseEnv(source: EnvSource): Env {
  const cleaned = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, source[k] === '' ? undefined : source[k]] as const),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const secret = name.includes('TOKEN') || name.includes('SECRET') || name.includes('KEY');
        const shown = secret ? '(value hidden)' : maskCredentials(JSON.stringify(source[name]));
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  return parsed.data;
}

/**
 * Validates everything once at start-up. Each role gets checked for what it needs and nothing else:
 * a bot never needs the SSH key, a worker never needs a Slack token.
 */
export async function loadConfig(source: EnvSource): Promise<Config> {
  const env = parseEnv(source);
  const problems: string[] = [];
  const hasBot = env.NETCHECK_ROLE !== 'worker';
  const hasWorker = env.NETCHECK_ROLE !== 'bot';

  let slack: SlackConfig | undefined;
  if (hasBot) {
    if (!env.SLACK_BOT_TOKEN)
      problems.push(
        `SLACK_BOT_TOKEN is not set; expected the bot token ("xoxb-…") because NETCHECK_ROLE=${env.NETCHECK_ROLE} runs the bot`,
      );
    if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      problems.push(
        'SLACK_SIGNING_SECRET is not set; expected the signing secret for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      );
    }
    if (env.SLACK_BOT_TOKEN) {
      slack = {
        botToken: env.SLACK_BOT_TOKEN,
        signingSecret: env.SLACK_SIGNING_SECRET,
        appToken: env.SLACK_APP_TOKEN,
        apiUrl: env.SLACK_API_URL,
      };
    }
  }

  // The plan key is what makes a compromised bot harmless (DESIGN.md, threat model): workers sign
  // plans with it and verify before any step, so a bot-only process must never hold it.
  if (hasWorker && !env.NETCHECK_PLAN_KEY) {
    problems.push(
      `NETCHECK_PLAN_KEY is not set; expected a secret of at least 32 characters that only workers hold (for example \`openssl rand -hex 32\`), because NETCHECK_ROLE=${env.NETCHECK_ROLE} runs a worker, which signs and verifies fix plans`,
    );
  }
  if (!hasWorker && env.NETCHECK_PLAN_KEY) {
    problems.push(
      'NETCHECK_PLAN_KEY is set for NETCHECK_ROLE=bot; remove it: only workers may hold the plan-signing key (a bot that holds it could forge plans if it were compromised)',
    );
  }

  problems.push(...sweepProblems(env));

  let inventory: Inventory | undefined;
  try {
    inventory = await loadInventory(env.NETCHECK_INVENTORY);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(
      ...error.problems.map((p) => (p.startsWith('NETCHECK_INVENTORY') ? p : `NETCHECK_INVENTORY ${p}`)),
    );
  }

  if (hasWorker && inventory) {
    await requireReadable(
      inventory.ssh.privateKeyPath,
      `NETCHECK_INVENTORY ${inventory.sourcePath} ssh.privateKeyPath`,
      'the SSH private key the worker logs in with',
      problems,
    );
    await requireReadable(
      inventory.ssh.knownHostsPath,
      `NETCHECK_INVENTORY ${inventory.sourcePath} ssh.knownHostsPath`,
      "an OpenSSH known_hosts file pinning every node's host key",
      problems,
    );
  }
  if (hasWorker && env.KUBECONFIG) {
    await requireReadable(
      env.KUBECONFIG,
      'KUBECONFIG',
      'a kubeconfig file (or leave KUBECONFIG unset to skip Kubernetes API checks)',
      problems,
    );
  }

  if (env.NETCHECK_ZONE && inventory) {
    // A typo would leave a worker idle and the zone reported as having none: refuse it here.
    const known = [...new Set(inventory.nodes.flatMap((n) => (n.zone ? [n.zone] : [])))];
    for (const zone of env.NETCHECK_ZONE.filter((z) => !known.includes(z)))
      problems.push(
        `NETCHECK_ZONE=${env.NETCHECK_ZONE.join(',')}: no node in ${inventory.sourcePath} has zone "${zone}"; expected one of: ${known.join(', ') || '(the inventory sets no zone: leave NETCHECK_ZONE unset)'}`,
      );
  }

  if (problems.length > 0 || !inventory) throw new ConfigError(problems);
  return {
    role: env.NETCHECK_ROLE,
    port: env.PORT,
    redisUrl: env.REDIS_URL,
    logLevel: env.LOG_LEVEL,
    inventory,
    slack,
    auditChannel: env.NETCHECK_AUDIT_CHANNEL,
    approvers: env.NETCHECK_APPROVERS,
    channels: env.NETCHECK_CHANNELS,
    users: env.NETCHECK_USERS,
    rateLimit: env.NETCHECK_RATE_LIMIT,
    planKey: hasWorker ? env.NETCHECK_PLAN_KEY : undefined,
    kubeconfigPath: env.KUBECONFIG,
    backup: { keep: env.NETCHECK_BACKUP_KEEP, maxAgeMinutes: env.NETCHECK_BACKUP_MAX_AGE },
    zones: env.NETCHECK_ZONE,
    sweep:
      env.NETCHECK_SWEEP_INTERVAL && env.NETCHECK_SWEEP_CHANNEL
        ? { intervalMs: env.NETCHECK_SWEEP_INTERVAL, channel: env.NETCHECK_SWEEP_CHANNEL }
        : undefined,
  };
}

/** A sweep needs a channel to speak in, and its Approve buttons must work there. */
function sweepProblems(env: Env): string[] {
  if (env.NETCHECK_SWEEP_INTERVAL === undefined) return [];
  if (!env.NETCHECK_SWEEP_CHANNEL)
    return [
      'NETCHECK_SWEEP_CHANNEL is not set; expected the channel id (C0123ABCD) where scheduled sweeps announce problems, because NETCHECK_SWEEP_INTERVAL is set (unset it to turn sweeps off)',
    ];
  if (env.NETCHECK_CHANNELS && !env.NETCHECK_CHANNELS.includes(env.NETCHECK_SWEEP_CHANNEL))
    return [
      `NETCHECK_SWEEP_CHANNEL=${env.NETCHECK_SWEEP_CHANNEL}: not in NETCHECK_CHANNELS; add it there, or the Approve buttons of sweep announcements would be refused`,
    ];
  return [];
}

async function requireReadable(
  filePath: string,
  label: string,
  expected: string,
  problems: string[],
): Promise<void> {
  try {
    await access(filePath, constants.R_OK);
  } catch {
    problems.push(`${label}=${filePath}: cannot read this file; expected ${expected}`);
  }
}
