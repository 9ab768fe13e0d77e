import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REDIS_UNAVAILABLE_TEXT } from '../../src/slack/redis-unavailable.js';
import { type BurstTarget, commandBurst } from '../support/command-burst.js';
import { type Harness, startHarness } from '../support/netcheck-harness.js';
import { type SentinelGroup, startSentinelGroup } from '../support/sentinel-group.js';

const LAB = 'ncopsha';
const CHANNEL = 'C0FAILOVER';
const COUNT = 30;
/** Commands go out one every SPACING_MS; the primary is killed right before command KILL_AT. */
const SPACING_MS = 150;
const KILL_AT = 10;
/** A person who is told "Redis is unavailable" tries again; this often, this many times at most. */
const RETRY_MS = 250;
const MAX_TRIES = 200;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const outboxId = (m: { metadata?: { event_payload?: { id?: unknown } } }) =>
  String(m.metadata?.event_payload?.id ?? '');

describe('Redis Sentinel: the primary is killed in the middle of a burst of commands', () => {
  let dir: string;
  let group: SentinelGroup | undefined;
  let h: Harness | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netcheck-sentinel-'));
    group = await startSentinelGroup(dir);
    h = await startHarness({ labId: LAB, netIndex: 121, workers: 2, env: { REDIS_URL: group.url } });
  });
  after(async () => {
    await h?.close();
    await group?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the sentinels promote the replica, netcheck follows, and every command gets exactly one report', async () => {
    const harness = h!;
    const sentinels = group!;
    let killedAt = Number.NaN;
    let refusals = 0;
    const acceptedAt: number[] = [];
    const started = performance.now();
    const target: BurstTarget = {
      slack: harness.slack,
      async command(text, opts) {
        const i = Number(opts.user.replace(/^U0LOAD/, ''));
        await pause(i * SPACING_MS);
        if (i === KILL_AT) {
          killedAt = performance.now();
          await sentinels.killPrimary();
        }
        for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
          const answer = await harness.command(text, opts);
          if (answer.status === 200 && answer.body === '') {
            acceptedAt[i] = performance.now();
            return answer;
          }
          // Refused out loud, never silently: the user is told nothing was queued, and tries again.
          assert.ok(answer.body.includes(JSON.stringify(REDIS_UNAVAILABLE_TEXT).slice(1, 40)), answer.body);
          refusals++;
          await pause(RETRY_MS);
        }
        throw new Error(`command ${i} was refused ${MAX_TRIES} times`);
      },
    };

    let burstError: unknown;
    await commandBurst(target, {
      count: COUNT,
      nodes: ['node-1', 'node-2', 'cp-1'],
      channel: CHANNEL,
      timeoutMs: 120_000,
    }).catch((error: unknown) => {
      burstError = error;
    });

    // Figures first, so a failure still reports them.
    const threads = harness.slack.topLevel(CHANNEL).map((parent) => ({
      parent,
      reports: harness.slack.replies(parent.ts).filter((m) => outboxId(m).endsWith('-report')),
    }));
    const reported = threads.filter((t) => t.reports.length > 0).length;
    const afterKill = acceptedAt.filter((t, i) => i >= KILL_AT && t !== undefined);
    const recoverMs = Math.min(...afterKill) - killedAt;
    const figures = {
      commands: COUNT,
      accepted: acceptedAt.filter((t) => t !== undefined).length,
      refusedAttemptsDuringFailover: refusals,
      threads: threads.length,
      withReport: reported,
      lost: COUNT - reported,
      duplicateReports: threads.reduce((n, t) => n + Math.max(0, t.reports.length - 1), 0),
      timeToRecoverMs: Math.round(recoverMs),
      lastReportAfterStartMs: Math.round(performance.now() - started),
    };
    console.log(`sentinel failover figures: ${JSON.stringify(figures)}`);

    assert.equal(burstError, undefined, String(burstError));
    await sentinels.waitForMaster(sentinels.replicaPort, 10_000);
    assert.equal(figures.accepted, COUNT);
    assert.equal(threads.length, COUNT, 'one thread per command, no duplicate parent');
    for (const t of threads)
      assert.equal(t.reports.length, 1, `thread ${t.parent.ts}: ${t.reports.length} reports`);
    assert.ok(refusals > 0, 'some commands met the failover (else the kill came too late to test anything)');
    assert.ok(recoverMs > 0 && recoverMs < 30_000, `recovered in ${Math.round(recoverMs)} ms`);
  });
});
