import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, writeInventory } from '../src/lab/lab.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { startRedis } from '../test/support/redis-server.js';
import { postSlashCommand } from '../test/support/slack-signing.js';
import { startRole as startRoleWith, stopRole } from './role-process.js';

/** BENCH_CLI: another build's dist/src/cli.js, to compare two builds on one machine. */
const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
/**
 * The node flags of `npm start` (package.json's scripts.start, `node <flags> dist/src/cli.js start`),
 * so that what is measured is what `npm start` runs; BENCH_NODE_FLAGS replaces them ("" for none).
 */
const START_FLAGS = (
  JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts
  .start!.split(' ')
  .filter((word) => word.startsWith('--'));
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? START_FLAGS;
const startRole = (name: string, env: Record<string, string>) =>
  startRoleWith(name, env, { cli: CLI, flags: NODE_FLAGS });
/** BENCH_ALL=0 skips the one-process (NETCHECK_ROLE=all) comparison. */
const WITH_ALL = process.env.BENCH_ALL !== '0';
const DIAGNOSES = Number(process.env.BENCH_DIAGNOSES ?? 50);
/** Time a freshly started process gets to finish its start-up work before "idle" is read. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5000);
const TARGET_IDLE_MB = 120;
const TARGET_AFTER_MB = 160;
const SIGNING_SECRET = 'bench-signing-secret-0123456789';
const PLAN_KEY = 'bench-plan-key-0123456789abcdef0123456789';
const LAB = { labId: 'ncmem', netIndex: 92 };
const NODES = ['node-1', 'node-2', 'node-3', 'cp-1'];
const CHANNEL = 'C0INCIDENT';

interface Sample {
  rssMb: number;
  peakMb: number;
}

/** VmRSS and VmHWM of a process, in MiB. */
async function memoryOf(pid: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const rows: { role: string; idle: Sample; after: Sample }[] = [];
const dir = await mkdtemp(path.join(tmpdir(), 'netcheck-membench-'));
const redis = await startRedis({ dir });
const slack = new FakeSlack();
await slack.start();
try {
  const lab = await labUp({ ...LAB, faults: [{ id: 'icmp-blocked', node: 'cp-1' }] });
  const files = await writeInventory(lab, dir);
  const common = {
    REDIS_URL: redis.url,
    NETCHECK_INVENTORY: files.inventoryPath,
    NETCHECK_APPROVERS: 'U0APPROVER',
    NETCHECK_AUDIT_CHANNEL: 'C0AUDIT',
    // One simulated user sends every diagnosis: lift the per-user rate limit (default 5/1m).
    NETCHECK_RATE_LIMIT: '10000/1m',
  };
  const slackEnv = {
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
  };
  // A worker holds the plan key and the kubeconfig; a bot holds neither (config refuses a bot with the key).
  const workerEnv = { NETCHECK_PLAN_KEY: PLAN_KEY, KUBECONFIG: files.kubeconfigPath };

  /** Sends DIAGNOSES signed `/netcheck <node>` one after the other; each waits for its report in the thread. */
  async function diagnose(botPort: number): Promise<void> {
    for (let i = 0; i < DIAGNOSES; i++) {
      const node = NODES[i % NODES.length]!;
      const before = new Set(slack.topLevel(CHANNEL).map((m) => m.ts));
      const res = await postSlashCommand(`http://127.0.0.1:${botPort}`, SIGNING_SECRET, {
        text: node,
        user_id: 'U0ONCALL',
        channel_id: CHANNEL,
      });
      if (res.status !== 200) throw new Error(`/netcheck ${node} answered ${res.status} ${res.body}`);
      const parent = await slack.waitFor(
        () => slack.topLevel(CHANNEL).find((m) => !before.has(m.ts) && m.text.includes(`*${node}*`)),
        30_000,
        `the parent message for ${node}`,
      );
      await slack.waitFor(() => slack.replies(parent.ts)[0], 30_000, `the report for ${node}`);
    }
  }

  // Bot and worker apart, as in production.
  const worker = await startRole('worker', { ...common, ...workerEnv, NETCHECK_ROLE: 'worker' });
  const bot = await startRole('bot', { ...common, ...slackEnv, NETCHECK_ROLE: 'bot' }).catch(async (e) => {
    await stopRole(worker);
    throw e;
  });
  try {
    await sleep(SETTLE_MS);
    const idle = { bot: await memoryOf(bot.child.pid!), worker: await memoryOf(worker.child.pid!) };
    const t = performance.now();
    await diagnose(bot.port);
    console.log(`${DIAGNOSES} diagnoses (bot + worker) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    rows.push({ role: 'bot (NETCHECK_ROLE=bot)', idle: idle.bot, after: await memoryOf(bot.child.pid!) });
    rows.push({
      role: 'worker (NETCHECK_ROLE=worker)',
      idle: idle.worker,
      after: await memoryOf(worker.child.pid!),
    });
  } finally {
    await stopRole(bot);
    await stopRole(worker);
  }

  // Both roles in one process (the default, NETCHECK_ROLE=all), for comparison.
  const all = WITH_ALL
    ? await startRole('all', { ...common, ...slackEnv, ...workerEnv, NETCHECK_ROLE: 'all' })
    : undefined;
  if (all) {
    try {
      await sleep(SETTLE_MS);
      const idle = await memoryOf(all.child.pid!);
      await diagnose(all.port);
      rows.push({ role: 'bot + worker in one process (all)', idle, after: await memoryOf(all.child.pid!) });
    } finally {
      await stopRole(all);
    }
  }
} finally {
  await labDown({ labId: LAB.labId }).catch((e: unknown) => console.error('lab down:', e));
  await slack.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}

const mb = (n: number) => n.toFixed(0).padStart(6);
const mark = (value: number, target: number) => (value < target ? '  ok  ' : ' OVER ');
console.log(
  `\n${'process (node dist/src/cli.js start)'.padEnd(36)}${'idle MB'.padStart(9)}${''.padStart(6)}${`after ${DIAGNOSES}`.padStart(10)}${''.padStart(6)}${'peak MB'.padStart(9)}`,
);
for (const r of rows) {
  const perRole = !r.role.includes('one process');
  console.log(
    `${r.role.padEnd(36)}${mb(r.idle.rssMb).padStart(9)}${perRole ? mark(r.idle.rssMb, TARGET_IDLE_MB) : '      '}${mb(r.after.rssMb).padStart(10)}${perRole ? mark(r.after.rssMb, TARGET_AFTER_MB) : '      '}${mb(r.after.peakMb).padStart(9)}`,
  );
}
console.log(
  `\nresident memory (VmRSS) in MiB; targets per role: idle < ${TARGET_IDLE_MB}, after ${DIAGNOSES} diagnoses < ${TARGET_AFTER_MB}; ` +
    `Node.js ${process.versions.node}${NODE_FLAGS.length ? ` ${NODE_FLAGS.join(' ')}` : ''}; ${CLI}; ${new Date().toISOString()}`,
);
