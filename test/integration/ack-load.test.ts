import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandBurst, quantile } from '../support/command-burst.js';
import { type Harness, startHarness } from '../support/netcheck-harness.js';

const LAB = { labId: 'ncload', netIndex: 83 };

/** 50 `/netcheck` at once (the figures are `npm run bench:ack`'s job; this asserts delivery). */
describe('load: 50 commands at once', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ ...LAB, workers: 9 });
  });
  after(async () => {
    await h?.close();
  });

  it('every command is queued, and every thread gets its report exactly once', async () => {
    const nodes = h.lab.nodes.map((n) => n.name);
    const burst = await commandBurst(h, { count: 50, nodes, channel: 'C0LOAD', timeoutMs: 180_000 });
    assert.deepEqual(
      burst.answers.filter((a) => a.status !== 200 || a.body !== ''),
      [],
      'every command was acked with an empty 200 (queued)',
    );
    assert.equal(burst.threads.length, 50, 'one thread per command');
    assert.deepEqual(
      burst.threads.filter((t) => t.reports.length !== 1).map((t) => t.parent.text),
      [],
      'each thread has exactly one report',
    );
    const runs = new Set(burst.threads.map((t) => String(t.parent.metadata?.event_payload?.id)));
    assert.equal(runs.size, 50, 'fifty different runs');
    // Informative only (the machine is shared): the timing target is checked by the benchmark.
    console.log(
      `ack p50 ${quantile(burst.ackMs, 0.5).toFixed(0)} ms, p99 ${quantile(burst.ackMs, 0.99).toFixed(0)} ms; last report after ${(burst.lastReportMs / 1000).toFixed(1)} s`,
    );
  });
});
