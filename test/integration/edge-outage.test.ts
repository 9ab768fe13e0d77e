import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const LAB = { labId: 'ncoutage', netIndex: 81 };
const UNAVAILABLE = /Redis is unavailable, nothing was queued/;

/** A Redis that freezes or dies while commands and clicks come in, then comes back. */
describe('Redis outage: answered within 3 s, nothing runs later, works again without a restart', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness(LAB);
  });
  after(async () => {
    h?.redis.resume();
    await h?.close();
  });

  const timed = async <T>(what: () => Promise<T>) => {
    const started = performance.now();
    const value = await what();
    return { value, ms: performance.now() - started };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('Redis frozen (SIGSTOP) during a command and a click: ephemeral answers within 3 s; after it resumes nothing of them runs', async () => {
    const jobsBefore = await h.probeJobCount();
    h.redis.pause();
    try {
      const command = await timed(() => h.command('node-1', { channel: 'C0FROZEN' }));
      assert.ok(command.ms < 3000, `acked in ${command.ms.toFixed(0)} ms`);
      assert.equal(command.value.status, 200);
      assert.match(JSON.parse(command.value.body).text, UNAVAILABLE);
      const click = await timed(() =>
        postButtonClick(h.appUrl, SIGNING_SECRET, {
          actionId: 'netcheck_approve',
          value: 'plan-does-not-matter',
          user: 'U0APPROVER',
          channel: 'C0FROZEN',
          messageTs: '1.000001',
        }),
      );
      assert.equal(click.value.status, 200);
      assert.ok(click.ms < 3000, `click acked in ${click.ms.toFixed(0)} ms`);
      await h.slack.waitFor(
        () =>
          h.slack
            .callsOf('chat.postEphemeral')
            .find((c) => c.params.user === 'U0APPROVER' && UNAVAILABLE.test(String(c.params.text))),
        3000,
        'the ephemeral answer to the click',
      );
      await sleep(2000);
    } finally {
      h.redis.resume();
    }
    // Redis now runs what it had received while frozen: the intake finds it too late and writes nothing.
    await sleep(4000);
    assert.equal(await h.probeJobCount(), jobsBefore, 'no probe job appeared after Redis resumed');
    assert.equal(h.slack.topLevel('C0FROZEN').length, 0, 'no thread was started');
    const { report } = await h.check('node-1', { channel: 'C0AFTERFREEZE' });
    assert.match(JSON.stringify(report.blocks), /healthy/);
  });

  it('Redis killed during a command: ephemeral answer within 3 s; restarted, the next command works without restarting netcheck', async () => {
    await h.redis.stop();
    const command = await timed(() => h.command('node-2', { channel: 'C0KILLED' }));
    assert.ok(command.ms < 3000, `acked in ${command.ms.toFixed(0)} ms`);
    assert.match(JSON.parse(command.value.body).text, UNAVAILABLE);
    await h.redis.restart();
    // The listener's connection reconnects within a second or so; give the workers a moment too.
    await sleep(2500);
    const { report } = await h.check('node-2', { channel: 'C0AFTERKILL', timeoutMs: 30_000 });
    assert.match(JSON.stringify(report.blocks), /healthy/);
    assert.equal(h.slack.topLevel('C0KILLED').length, 0, 'the refused command never ran');
  });
});
