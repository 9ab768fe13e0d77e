/**
 * `sudo npm run bench:ack`: fires BENCH_COMMANDS (default 50) signed `/netcheck` commands at once at
 * a running netcheck (started here, in this process, as `npm start` starts it, on a private Redis, a
 * fake Slack and a 10-node lab) and prints the ack latency (p50/p95/p99/max) and the time until the
 * last report was posted, and whether every report arrived exactly once. BENCH_RUNS repeats it.
 * Not a test: the machine is shared and noisy; the load test asserts delivery, not timing.
 */
import { commandBurst, quantile } from '../test/support/command-burst.js';
import { startHarness } from '../test/support/netcheck-harness.js';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const h = await startHarness({ labId: 'ncack', netIndex: 91, workers: 9 });
try {
  const nodes = h.lab.nodes.map((n) => n.name);
  // Warm-up: loaded code, pooled SSH connections, as a bot that has been running a while.
  await h.check(nodes[0]!, { channel: 'C0WARMUP', timeoutMs: 30_000 });
  console.log(`${COMMANDS} commands at once over ${nodes.length} nodes, ${RUNS} runs`);
  console.log(
    `${'run'.padEnd(5)}${'ack p50'.padStart(9)}${'p95'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}${'last report'.padStart(13)}  delivery`,
  );
  for (let run = 1; run <= RUNS; run++) {
    const r = await commandBurst(h, {
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
  await h.close();
}
