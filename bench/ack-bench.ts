/**
 * `sudo npm run bench:ack`: fires BENCH_COMMANDS (default 50) signed `/netcheck` commands at once at
 * a running netcheck and prints the ack latency (p50/p95/p99/max), the time until the last report
 * was posted, and whether every report arrived exactly once; BENCH_RUNS (default 3) times.
 *
 * netcheck runs as in production, in processes of its own started with `netcheck start`: a bot and
 * a worker (BENCH_LAYOUT=split, the default) or both roles in one process (BENCH_LAYOUT=all), on a
 * private Redis, a 10-node lab and a fake Slack Web API that lives here with the load generator.
 * Not a test: the machine is shared and noisy; test/integration/ack-load.test.ts asserts delivery.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, writeInventory } from '../src/lab/lab.js';
import { commandBurst, quantile } from '../test/support/command-burst.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { freePort } from '../test/support/free-port.js';
import { SIGNING_SECRET, TEST_PLAN_KEY } from '../test/support/netcheck-harness.js';
import { startRedis } from '../test/support/redis-server.js';
import { postSlashCommand } from '../test/support/slack-signing.js';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAYOUT = process.env.BENCH_LAYOUT ?? 'split';
const LAB = { labId: 'ncack', netIndex: 91 };
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];
try {
  const dir = await mkdtemp(path.join(tmpdir(), 'netcheck-ack-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const slack = new FakeSlack();
  await slack.start();
  cleanups.push(() => slack.stop());
  cleanups.push(() => labDown({ labId: LAB.labId }));
  const lab = await labUp({ ...LAB, workers: 9 });
  const files = await writeInventory(lab, dir);
  const port = await freePort();
  const env = {
    ...process.env,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: String(port),
    REDIS_URL: redis.url,
    NETCHECK_INVENTORY: files.inventoryPath,
    NETCHECK_APPROVERS: 'U0APPROVER',
    KUBECONFIG: files.kubeconfigPath,
    LOG_LEVEL: process.env.BENCH_LOG ?? 'warn',
  };
  const start = (role: string, extra: Record<string, string>): ChildProcess => {
    const child = spawn(
      process.execPath,
      [...(process.env.BENCH_NODE_ARGS?.split(' ') ?? []), '--import', 'tsx', CLI, 'start'],
      {
        env: { ...env, NETCHECK_ROLE: role, ...extra },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    cleanups.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    });
    return child;
  };
  if (LAYOUT === 'split') {
    start('bot', {});
    start('worker', { NETCHECK_PLAN_KEY: TEST_PLAN_KEY, PORT: String(await freePort()) });
  } else if (LAYOUT === 'all') start('all', { NETCHECK_PLAN_KEY: TEST_PLAN_KEY });
  else start('bot', {});
  const appUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${appUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 150) throw new Error('netcheck did not come up within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const target = {
    slack,
    command: (text: string, o: { user: string; channel: string }) =>
      postSlashCommand(appUrl, SIGNING_SECRET, { text, user_id: o.user, channel_id: o.channel }),
  };
  const nodes = lab.nodes.map((n) => n.name);
  if (LAYOUT === 'bot-only') {
    // The bot alone (BENCH_LAYOUT=bot-only): acks only, no worker, so no reports to wait for.
    for (let run = 1; run <= RUNS; run++) {
      const ackMs = await Promise.all(
        Array.from({ length: COMMANDS }, async (_, i) => {
          const t = performance.now();
          await target.command(nodes[i % nodes.length]!, { user: `U0B${run}X${i}`, channel: `C0ONLY${run}` });
          return performance.now() - t;
        }),
      );
      console.log(
        `bot only, run ${run}: ack p50 ${quantile(ackMs, 0.5).toFixed(0)} p95 ${quantile(ackMs, 0.95).toFixed(0)} p99 ${quantile(ackMs, 0.99).toFixed(0)} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    process.exitCode = 0;
  }
  // Warm-up: loaded code, pooled SSH connections to every node, as a bot that has been up a while.
  if (LAYOUT !== 'bot-only')
    await commandBurst(target, { count: nodes.length, nodes, channel: 'C0WARMUP', timeoutMs: 60_000 });
  console.log(`${COMMANDS} commands at once over ${nodes.length} nodes, ${RUNS} runs, layout ${LAYOUT}`);
  console.log(
    `${'run'.padEnd(5)}${'ack p50'.padStart(9)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'last report'.padStart(13)}  delivery`,
  );
  for (let run = 1; run <= (LAYOUT === 'bot-only' ? 0 : RUNS); run++) {
    const r = await commandBurst(target, {
      count: COMMANDS,
      nodes,
      channel: `C0BENCH${run}`,
      timeoutMs: 180_000,
    });
    const refused = r.answers.filter((a) => a.status !== 200 || a.body !== '').length;
    const once = r.threads.filter((t) => t.reports.length === 1).length;
    const ms = (v: number) => v.toFixed(0).padStart(8);
    console.log(
      `${String(run).padEnd(5)}${ms(quantile(r.ackMs, 0.5)).padStart(9)}${ms(quantile(r.ackMs, 0.95))}${ms(quantile(r.ackMs, 0.99))}${ms(Math.max(...r.ackMs))}${`${(r.lastReportMs / 1000).toFixed(1)} s`.padStart(13)}  ${r.threads.length} threads, ${once} with exactly one report, ${refused} not queued`,
    );
  }
  console.log(`(ms unless noted) ${new Date().toISOString()}`);
} finally {
  for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => console.error('cleanup:', e));
}
