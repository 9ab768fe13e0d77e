import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import { QUEUE_NAMES } from '../../src/queue/job-types.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';
import { spawnWorker } from '../support/worker-process.js';

/** A worker in its own process, as in production, so the test can SIGKILL it mid-plan. */
function startWorker(h: Harness): ChildProcess {
  return spawnWorker(h);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('remediation: a worker killed in the middle of a plan', () => {
  let h: Harness;
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  let wrapper: string;

  before(async () => {
    h = await startHarness({ labId: 'nccrash', netIndex: 42, env: { NETCHECK_ROLE: 'bot' } });
    // A slow `sysctl -w` on the nodes (the lab's /usr/local/bin comes first on PATH) that logs each call.
    wrapper = path.join(h.lab.stateDir, 'bin', 'sysctl');
    await writeFile(
      wrapper,
      '#!/bin/sh\nif [ "$1" = "-w" ]; then echo "sysctl $*" >> /var/log/netcheck-test-sysctl.log; sleep 6; fi\nexec /usr/sbin/sysctl "$@"\n',
      { mode: 0o755 },
    );
    first = startWorker(h);
  });
  after(async () => {
    await stop(first);
    await stop(second);
    await rm(wrapper, { force: true });
    await h?.close();
  });

  it('SIGKILL mid-step: the thread says interrupted with the last completed step, and no step runs twice', async () => {
    await addFault({ labId: 'nccrash' }, { id: 'ip-forward-disabled', node: 'node-2' });
    try {
      const { parent, report } = await h.check('node-2', { user: 'U0ONCALL', timeoutMs: 30_000 });
      const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
        elements: { value: string }[];
      };
      const planId = actions.elements[0]!.value;
      await postButtonClick(h.appUrl, SIGNING_SECRET, {
        actionId: 'netcheck_approve',
        value: planId,
        user: 'U0ONCALL',
        channel: 'C0INCIDENT',
        messageTs: report.ts,
      });
      await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes('Running plan')),
        20_000,
        'the run to start',
      );
      const calls = () =>
        labExec(h.lab, 'node-2', [
          'sh',
          '-c',
          'cat /var/log/netcheck-test-sysctl.log 2>/dev/null | wc -l',
        ]).then((r) => Number(r.stdout.trim()));
      for (let i = 0; i < 100 && (await calls()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await calls(), 1, 'the slow step is running');

      await stop(first);
      second = startWorker(h);
      const interrupted: FakeMessage = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes('was interrupted')),
        30_000,
        'the interrupted notice',
      );
      assert.match(
        interrupted.text,
        /Last completed step: none; step 1 had started and may be half done\. Nothing will be re-run automatically/,
      );
      const offer: FakeMessage = await h.slack.waitFor(
        () => h.slack.replies(parent.ts).find((m) => m.text.includes('this rollback restores from')),
        30_000,
        'the rollback offer after the interruption',
      );
      assert.match(
        JSON.stringify(offer.blocks),
        /netcheck_approve/,
        'the rollback is behind the approval buttons',
      );

      // BullMQ fails the dead worker's job (maxStalledCount 0) instead of re-running it: wait for that state.
      const queue = new Queue(QUEUE_NAMES.remediation, {
        connection: { url: h.redis.url },
        prefix: KEY_PREFIX,
      });
      try {
        let state = '';
        for (let i = 0; i < 200 && state !== 'failed'; i++) {
          state = (await queue.getJobState(`remediate-${planId.split(':')[0]}`)) as string;
          if (state !== 'failed') await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(state, 'failed');
      } finally {
        await queue.close();
      }
      assert.equal(await calls(), 1, 'the step was not run again');
      assert.equal(h.slack.replies(parent.ts).filter((m) => m.text.includes('Running plan')).length, 1);
    } finally {
      await clearFault({ labId: 'nccrash' }, { id: 'ip-forward-disabled', node: 'node-2' });
    }
  });
});
