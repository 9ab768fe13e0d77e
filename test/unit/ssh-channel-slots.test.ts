import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelSlots } from '../../src/ssh/channel-slots.js';
import { isChannelRefused } from '../../src/ssh/classify-ssh-error.js';

/** Whether a take() has settled after pending callbacks ran. */
async function settled(p: Promise<boolean>): Promise<boolean | 'waiting'> {
  return Promise.race([p, new Promise<'waiting'>((resolve) => setImmediate(() => resolve('waiting')))]);
}

describe('channel slots of one connection', () => {
  it('hands out at most max slots and lets waiters in, in order', async () => {
    const slots = new ChannelSlots(2);
    assert.equal(await slots.take(), true);
    assert.equal(await slots.take(), true);
    const order: string[] = [];
    const a = slots.take().then((t) => order.push(`a:${t}`));
    const b = slots.take().then((t) => order.push(`b:${t}`));
    slots.give();
    await a;
    assert.deepEqual(order, ['a:true']);
    slots.give();
    await b;
    assert.deepEqual(order, ['a:true', 'b:true']);
  });

  it('learns the server limit from a refusal and queues the refused caller first', async () => {
    const slots = new ChannelSlots(8);
    for (let i = 0; i < 3; i++) assert.equal(await slots.take(), true);
    // The third channel is refused while the two others are open: the server takes two.
    assert.deepEqual(slots.refused(0), { action: 'wait-for-slot', firstRefusal: true });
    slots.give();
    const later = slots.take();
    const refusedAgain = slots.take(true);
    assert.equal(await settled(refusedAgain), 'waiting');
    slots.give();
    assert.equal(await settled(refusedAgain), true);
    assert.equal(await settled(later), 'waiting');
    // A later refusal does not warn again.
    assert.deepEqual(slots.refused(0), { action: 'wait-for-slot', firstRefusal: false });
  });

  it('retries with backoff when no other channel is open, then gives up', () => {
    const slots = new ChannelSlots(8);
    void slots.take();
    const verdicts = Array.from({ length: 7 }, (_, retries) => slots.refused(retries));
    assert.deepEqual(
      verdicts.map((v) => (v.action === 'retry' ? v.afterMs : v.action)),
      [25, 50, 100, 200, 400, 800, 'give-up'],
    );
  });

  it('tells every waiter when the connection closes', async () => {
    const slots = new ChannelSlots(1);
    await slots.take();
    const waiting = slots.take();
    slots.close();
    assert.equal(await waiting, false);
    assert.equal(await slots.take(), false);
    assert.equal(slots.closed, true);
  });
});

describe('which channel failure may be retried', () => {
  it('a channel open failure from the server (ssh2 sets a numeric reason) never ran the command', () => {
    const refused = Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 2 });
    assert.equal(isChannelRefused(refused), true);
  });

  it('a channel that opened and then failed, or a lost link, is not a refusal', () => {
    assert.equal(isChannelRefused(new Error('Unable to exec')), false);
    assert.equal(isChannelRefused(new Error('No response from server')), false);
    const closedInstead = Object.assign(
      new Error('(SSH) Channel open failure: server closed channel unexpectedly'),
      { reason: '' },
    );
    assert.equal(isChannelRefused(closedInstead), false);
  });
});
