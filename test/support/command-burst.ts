import type { FakeMessage, FakeSlack } from './fake-slack.js';

/** What a burst needs: a way to send a signed command, and the fake Slack that receives the posts. */
export interface BurstTarget {
  readonly slack: FakeSlack;
  command(
    text: string,
    opts: { user: string; channel: string; answerTimeoutMs?: number },
  ): Promise<{ status: number; body: string }>;
}

export interface BurstResult {
  /** Time from sending each command to Slack's answer (the ack), in ms, in sending order. */
  readonly ackMs: readonly number[];
  /** Statuses and bodies of the acks (an empty 200 means "queued"). */
  readonly answers: readonly { status: number; body: string }[];
  /** From the first send until the last report was posted, in ms. */
  readonly lastReportMs: number;
  /** Every top-level message of the channel, each with its reports (replies posted as a report). */
  readonly threads: readonly { parent: FakeMessage; reports: FakeMessage[] }[];
}

const outboxId = (m: FakeMessage) => String(m.metadata?.event_payload?.id ?? '');

/**
 * Fires `count` signed `/netcheck` commands at once (round-robin over `nodes`, one user each so the
 * per-user rate limit does not apply) into a fresh channel, then waits until every thread has its
 * report. Shared by `npm run bench:ack` and the load test.
 */
export async function commandBurst(
  h: BurstTarget,
  opts: { count: number; nodes: readonly string[]; channel: string; timeoutMs: number },
): Promise<BurstResult> {
  const started = performance.now();
  const answers: { status: number; body: string }[] = [];
  const ackMs = await Promise.all(
    Array.from({ length: opts.count }, async (_, i) => {
      const t = performance.now();
      const answer = await h.command(opts.nodes[i % opts.nodes.length]!, {
        user: `U0LOAD${String(i).padStart(3, '0')}`,
        channel: opts.channel,
        // Every ack is measured, however late (Slack would have given up after 3 s).
        answerTimeoutMs: opts.timeoutMs,
      });
      answers[i] = answer;
      return performance.now() - t;
    }),
  );
  const threadsOf = () =>
    h.slack.topLevel(opts.channel).map((parent) => ({
      parent,
      reports: h.slack.replies(parent.ts).filter((m) => outboxId(m).endsWith('-report')),
    }));
  await h.slack.waitFor(
    () => {
      const threads = threadsOf();
      return threads.length >= opts.count && threads.every((t) => t.reports.length > 0);
    },
    opts.timeoutMs,
    `${opts.count} parents with their reports`,
  );
  const lastReportMs = performance.now() - started;
  // A moment for any duplicate to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return { ackMs, answers, lastReportMs, threads: threadsOf() };
}

/** The q-quantile (nearest rank) of samples. */
export function quantile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? Number.NaN;
}
