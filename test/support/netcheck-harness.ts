import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import {
  addFault,
  clearFault,
  type FaultSpec,
  type LabDistro,
  type LabState,
  labDown,
  labUp,
  writeInventory,
} from '../../src/lab/lab.js';
import { createLogger } from '../../src/log/create-logger.js';
import { type Netcheck, startNetcheck } from '../../src/main.js';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { type FakeMessage, FakeSlack } from './fake-slack.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { postSlashCommand, type SignedRequestOptions } from './slack-signing.js';

export const TEST_PLAN_KEY = 'netcheck-test-plan-key-0123456789abcdef';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export interface Harness {
  readonly lab: LabState;
  readonly slack: FakeSlack;
  readonly redis: TestRedis;
  readonly app: Netcheck;
  readonly appUrl: string;
  readonly dir: string;
  readonly inventoryPath: string;
  command(
    text: string,
    opts?: SignedRequestOptions & { user?: string; channel?: string },
  ): Promise<{ status: number; body: string }>;
  /** Sends `/netcheck <node>` and resolves with the parent message and the threaded report once both exist. */
  check(
    node: string,
    opts?: { user?: string; channel?: string; timeoutMs?: number },
  ): Promise<{ parent: FakeMessage; report: FakeMessage }>;
  probeJobCount(): Promise<number>;
  /** Runs `fn` with the lab fault in place, and clears it afterwards whatever `fn` did. */
  withFault<T>(spec: FaultSpec, fn: () => Promise<T>): Promise<T>;
  restartApp(env?: Record<string, string>): Promise<void>;
  /** Every line the app logged, as written (after redaction). */
  readonly logLines: readonly string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly labId: string;
  readonly netIndex: number;
  readonly workers?: number;
  /** Nodes on another Debian release's userland (`{ 'node-2': 'trixie' }`); default: the host's. */
  readonly distros?: Readonly<Record<string, LabDistro>>;
  /** Workers kept out of the cluster (`lab up --standby`), for preflight. */
  readonly standby?: readonly string[];
  /** `zone:` per node name in the inventory the app reads. */
  readonly zones?: Readonly<Record<string, string>>;
  /** Extra environment for the app. */
  readonly env?: Record<string, string>;
}

/**
 * Everything real but Slack: a private Redis, a lab of network-namespace nodes with their own
 * sshd, the app started in this process exactly as `npm start` starts it, and a fake Slack Web API.
 */
export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((e: unknown) => console.error('harness cleanup:', e));
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), `netcheck-${opts.labId}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const slack = new FakeSlack();
    await slack.start();
    cleanups.push(() => slack.stop());
    cleanups.push(() => labDown({ labId: opts.labId }));
    const lab = await labUp({
      labId: opts.labId,
      netIndex: opts.netIndex,
      workers: opts.workers ?? 3,
      ...(opts.distros ? { distros: opts.distros } : {}),
      ...(opts.standby ? { standby: opts.standby } : {}),
    });
    const files = await writeInventory(lab, dir, opts.zones);

    const baseEnv: Record<string, string> = {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.url,
      PORT: '0',
      REDIS_URL: redis.url,
      NETCHECK_INVENTORY: files.inventoryPath,
      NETCHECK_ROLE: 'all',
      NETCHECK_APPROVERS: 'U0APPROVER',
      KUBECONFIG: files.kubeconfigPath,
      LOG_LEVEL: process.env.NETCHECK_TEST_LOG ?? 'silent',
      // Tests send dozens of commands as one person; the rate limit has its own test (edge-access).
      NETCHECK_RATE_LIMIT: '10000/1m',
      ...opts.env,
    };
    // Workers must hold the plan-signing key; a bot-only process must not (config refuses both mistakes).
    if (baseEnv.NETCHECK_ROLE !== 'bot') baseEnv.NETCHECK_PLAN_KEY ??= TEST_PLAN_KEY;
    // The production logger (with its redaction), writing into memory so tests can read every line.
    const logLines: string[] = [];
    const logger = createLogger(
      process.env.NETCHECK_TEST_LOG ?? 'info',
      { role: 'all' },
      {
        write(line: string) {
          logLines.push(line);
          if (process.env.NETCHECK_TEST_LOG) process.stderr.write(line);
        },
      },
    );
    let app = await startNetcheck(baseEnv, { logger });
    cleanups.push(() => app.stop());
    const probeQueue = new Queue(QUEUE_NAMES.probe, { connection: { url: redis.url }, prefix: KEY_PREFIX });
    cleanups.push(() => probeQueue.close());

    const harness: Harness = {
      logLines,
      lab,
      slack,
      redis,
      get app() {
        return app;
      },
      get appUrl() {
        return `http://127.0.0.1:${app.port}`;
      },
      dir,
      inventoryPath: files.inventoryPath,
      command: (text, o = {}) =>
        postSlashCommand(
          harness.appUrl,
          SIGNING_SECRET,
          { text, user_id: o.user ?? 'U0ONCALL', channel_id: o.channel ?? 'C0INCIDENT' },
          o,
        ),
      async check(node, o = {}) {
        const channel = o.channel ?? 'C0INCIDENT';
        const before = new Set(slack.topLevel(channel).map((m) => m.ts));
        const res = await harness.command(node, { ...o, channel });
        if (res.status !== 200 || res.body !== '')
          throw new Error(`/netcheck ${node} was not accepted: ${res.status} ${res.body}`);
        const parent = await slack.waitFor(
          () => slack.topLevel(channel).find((m) => !before.has(m.ts) && m.text.includes(`*${node}*`)),
          o.timeoutMs ?? 20_000,
          `the parent message for ${node}`,
        );
        const report = await slack.waitFor(
          () => slack.replies(parent.ts)[0],
          o.timeoutMs ?? 20_000,
          `the report for ${node}`,
        );
        return { parent, report };
      },
      probeJobCount: async () => {
        const counts = await probeQueue.getJobCounts(
          'waiting',
          'active',
          'completed',
          'failed',
          'delayed',
          'prioritized',
        );
        return Object.values(counts).reduce((sum, n) => sum + n, 0);
      },
      async withFault(spec, fn) {
        await addFault({ labId: lab.labId }, spec);
        try {
          return await fn();
        } finally {
          await clearFault({ labId: lab.labId }, spec);
        }
      },
      async restartApp(env = {}) {
        await app.stop();
        app = await startNetcheck({ ...baseEnv, ...env }, { logger });
      },
      close: cleanup,
    };
    return harness;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Everything a message shows, as one string, for assertions. */
export function messageText(m: FakeMessage): string {
  return `${m.text}\n${JSON.stringify(m.blocks)}`;
}
