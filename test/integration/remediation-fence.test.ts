import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { addFault, clearFault, labExec } from '../../src/lab/lab.js';
import { DEFAULT_BACKUP_POLICY } from '../../src/remediation/backup-policy.js';
import { executePlan, reportInterruptedRuns } from '../../src/remediation/executor.js';
import type { Plan } from '../../src/remediation/plan.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import { type PlanStep, shellStep } from '../../src/remediation/plan-step.js';
import { remedyCommands } from '../../src/remediation/remedy-commands.js';
import { parsePlanButtonValue } from '../../src/slack/blocks/plan-button-value.js';
import { lockKey } from '../../src/store/plan-store.js';
import { KEY_PREFIX } from '../../src/store/redis-keys.js';
import { type ExecutorRig, startExecutorRig } from '../support/executor-rig.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, startHarness, TEST_PLAN_KEY } from '../support/netcheck-harness.js';

const signer = createPlanSigner(TEST_PLAN_KEY);

const NODE = 'node-2';
const IP_FORWARD = 'net.ipv4.ip_forward';

/**
 * A plan of `n` harmless steps on node-2, each `sysctl -w` through the reviewed template (with its
 * own backup folder, so each step's command text is distinct), as planFor would store it.
 */
function stepsPlan(
  runId: string,
  planId: string,
  keys: readonly string[],
  destructive: (n: number) => boolean = () => false,
): Plan {
  const backupDir = `/var/backups/netcheck/test-${planId}`;
  const steps = keys.map(
    (key, i) =>
      ({
        ...shellStep(
          NODE,
          `step ${i + 1} of ${keys.length}: set ${key} = 1`,
          remedyCommands.setSysctl(key, '1', { ...DEFAULT_BACKUP_POLICY, dir: `${backupDir}/s${i + 1}` }),
          remedyCommands.sysctlIs(key, '1'),
          destructive(i + 1),
        ),
        n: i + 1,
      }) as PlanStep,
  );
  const createdAt = new Date().toISOString();
  // Signed with the workers' key, as planFor's plans are: the executor refuses anything else.
  return signer.sign({
    planId,
    runId,
    causeId: 'ip-forward-disabled',
    node: NODE,
    requestedBy: 'U0ONCALL',
    steps,
    destructive: steps.some((s) => s.destructive),
    backupDir,
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + 15 * 60_000).toISOString(),
    remedy: { kind: 'set-sysctl', node: NODE, key: IP_FORWARD, value: '1' },
  });
}

const commandOf = (plan: Plan, n: number) => (plan.steps[n - 1] as { command: string }).command;

describe('remediation: fencing (an executor in this process, the real Redis, sshd and lab)', () => {
  let h: Harness;
  let rig: ExecutorRig;
  let parent: FakeMessage;
  let runId: string;
  let wrapper: string;

  before(async () => {
    h = await startHarness({ labId: 'ncfence', netIndex: 47 });
    // `sysctl -w` on the nodes logs each call, so the test counts what really ran on the node.
    wrapper = path.join(h.lab.stateDir, 'bin', 'sysctl');
    await writeFile(
      wrapper,
      '#!/bin/sh\nif [ "$1" = "-w" ]; then echo "sysctl $*" >> /var/log/netcheck-test-sysctl.log; fi\nexec /usr/sbin/sysctl "$@"\n',
      { mode: 0o755 },
    );
    rig = await startExecutorRig(h);
    // A real run (and thread) for the plans below to report into.
    await addFault({ labId: 'ncfence' }, { id: 'ip-forward-disabled', node: NODE });
    const checked = await h.check(NODE, { user: 'U0ONCALL' });
    parent = checked.parent;
    const actions = checked.report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
      elements: { value: string }[];
    };
    runId = (await rig.plans.get(parsePlanButtonValue(actions.elements[0]!.value)!.planId))!.plan.runId;
  });
  after(async () => {
    await rig?.close();
    await rm(wrapper, { force: true });
    await clearFault({ labId: 'ncfence' }, { id: 'ip-forward-disabled', node: NODE }).catch(() => undefined);
    await h?.close();
  });

  const sysctlCalls = async () =>
    Number(
      (
        await labExec(h.lab, NODE, ['sh', '-c', 'cat /var/log/netcheck-test-sysctl.log 2>/dev/null | wc -l'])
      ).stdout.trim(),
    );
  const resetSysctlLog = () => labExec(h.lab, NODE, ['rm', '-f', '/var/log/netcheck-test-sysctl.log']);
  const approve = async (plan: Plan) => {
    await rig.plans.save(plan, Date.now());
    const decided = await rig.plans.decide(plan.planId, plan.hash, 'U0ONCALL', 'approved', Date.now(), 'now');
    assert.equal(decided.code, 'approved');
  };
  const threadLine = (re: RegExp, what: string) =>
    h.slack.waitFor(() => h.slack.replies(parent.ts).find((m) => re.test(m.text)), 20_000, what);

  it('a heartbeat lapse during each step of a 9-step plan: the sweep marks it interrupted, the executor stops at the next boundary, no step runs twice, the state stays interrupted', async () => {
    // Nothing renews the heartbeat inside a step here, so only the test makes it lapse.
    const slow = await startExecutorRig(h, { heartbeatTtlMs: 60_000, renewEveryMs: 60_000 });
    const figures: string[] = [];
    try {
      const steps = 9;
      for (let k = 1; k <= steps; k++) {
        await resetSysctlLog();
        const plan = stepsPlan(runId, `fence-lapse-${k}`, Array(steps).fill(IP_FORWARD));
        await approve(plan);
        let lapsed = false;
        slow.beforeExec = async (_node, command) => {
          if (lapsed || command.text !== commandOf(plan, k)) return;
          lapsed = true;
          // Mid-step: the heartbeat is gone (a GC pause, a Redis blip); another worker's sweep runs.
          await slow.redis.del(`${KEY_PREFIX}:plan-alive:${plan.planId}`);
          await reportInterruptedRuns(slow.deps);
          assert.equal((await slow.plans.get(plan.planId))?.state, 'interrupted', 'the sweep claimed it');
          assert.equal(await slow.redis.get(lockKey(NODE)), null, 'the sweep freed the node');
        };
        await executePlan(slow.deps, plan.planId, plan.hash);

        const stored = (await slow.plans.get(plan.planId))!;
        assert.equal(stored.state, 'interrupted', `lapse at step ${k}: the state stays interrupted`);
        for (let n = 1; n <= steps; n++) {
          const sent = slow.execs.filter((e) => e.command === commandOf(plan, n)).length;
          assert.equal(sent, n <= k ? 1 : 0, `lapse at step ${k}: step ${n} was sent ${sent} times`);
          assert.equal(
            stored.steps[n],
            n <= k ? 'done' : undefined,
            `lapse at step ${k}: checkpoint of ${n}`,
          );
        }
        assert.equal(await sysctlCalls(), k, `lapse at step ${k}: the node ran ${k} steps, each once`);
        const stop = await threadLine(
          new RegExp(
            `Plan \`${plan.planId}\` stopped (before step ${k + 1}|after its last step): this worker no longer owns the run`,
          ),
          `the executor's own stop notice (lapse at step ${k})`,
        );
        const ran = Array.from({ length: k }, (_, i) => `step ${i + 1} \\(done\\)`).join(', ');
        assert.match(stop.text, new RegExp(`Ran: ${ran}\\. Not run: ${k === steps ? 'none' : 'step'}`));
        assert.match(stop.text, /Its state was left as it is \(interrupted\)/);
        figures.push(`lapse at step ${k}: ${k} step(s) ran once each, ${steps - k} not run`);
      }
      assert.equal(figures.length, steps);
      console.log(
        `heartbeat lapse at each of the ${steps} steps: 0 steps run twice\n  ${figures.join('\n  ')}`,
      );
    } finally {
      await slow.close();
    }
  });

  it('the node lock is renewed during a step that outlasts its TTL: nobody else can take the node, and the run ends done', async () => {
    const fast = await startExecutorRig(h, { lockTtlMs: 1000, heartbeatTtlMs: 1500, renewEveryMs: 200 });
    try {
      const plan = stepsPlan(runId, 'fence-long-step', [IP_FORWARD, IP_FORWARD]);
      await approve(plan);
      let checked = false;
      fast.beforeExec = async (_node, command) => {
        if (checked || command.text !== commandOf(plan, 1)) return;
        checked = true;
        // Time is what is tested: the step lasts three and a half lock TTLs.
        await delay(3500);
        const holder = await fast.redis.get(lockKey(NODE));
        assert.match(holder ?? '', new RegExp(`^${plan.planId}#\\d+$`), 'still held by this run');
        const ttl = await fast.redis.pttl(lockKey(NODE));
        assert.ok(ttl > 0 && ttl <= 1000, `renewed, with the short TTL (${ttl} ms left)`);
        assert.equal(
          await fast.plans.lockNode(NODE, 'another-plan', 10_000),
          false,
          'nobody else gets the node',
        );
        assert.equal((await fast.plans.get(plan.planId))?.state, 'running', 'the sweep saw it alive');
      };
      await executePlan(fast.deps, plan.planId, plan.hash);
      assert.ok(checked);
      const stored = (await fast.plans.get(plan.planId))!;
      assert.equal(stored.state, 'done');
      assert.deepEqual(stored.steps, { 1: 'done', 2: 'done' });
      assert.equal(await fast.redis.get(lockKey(NODE)), null, 'released at the end');
      await threadLine(new RegExp(`Running plan \`${plan.planId}\``), 'the run');
    } finally {
      await fast.close();
    }
  });

  it('re-probed before the first destructive step: a cause that no longer holds stops the plan there; one that holds lets it go on', async () => {
    // Step 1 (safe) itself clears ip-forward-disabled, so before step 2 (destructive) the cause is gone.
    await labExec(h.lab, NODE, ['sysctl', '-w', `${IP_FORWARD}=0`]);
    const gone = stepsPlan(runId, 'fence-cause-gone', [IP_FORWARD, IP_FORWARD], (n) => n === 2);
    await approve(gone);
    await executePlan(rig.deps, gone.planId, gone.hash);
    let stored = (await rig.plans.get(gone.planId))!;
    assert.equal(stored.state, 'stopped');
    assert.deepEqual(stored.steps, { 1: 'done' });
    assert.equal(rig.execs.filter((e) => e.command === commandOf(gone, 2)).length, 0, 'step 2 never ran');
    const stop = await threadLine(new RegExp(`Plan \`${gone.planId}\` stopped before step 2`), 'the stop');
    assert.match(stop.text, /`ip-forward-disabled` no longer holds \(it now reports .*healthy/);
    assert.match(stop.text, /Ran: step 1 \(done\)\. Not run: step 2\./);
    assert.equal(await rig.redis.get(lockKey(NODE)), null, 'the node is free again');

    // Step 1 changes something else: before step 2 the cause still holds, and the plan goes on.
    await labExec(h.lab, NODE, ['sysctl', '-w', `${IP_FORWARD}=0`]);
    const holds = stepsPlan(
      runId,
      'fence-cause-holds',
      ['net.bridge.bridge-nf-call-iptables', IP_FORWARD],
      (n) => n === 2,
    );
    await approve(holds);
    await executePlan(rig.deps, holds.planId, holds.hash);
    stored = (await rig.plans.get(holds.planId))!;
    assert.equal(stored.state, 'done');
    assert.deepEqual(stored.steps, { 1: 'done', 2: 'done' });

    const audit = await rig.audit.read();
    const stopped = audit.find((e) => e.type === 'run.stopped' && e.planId === gone.planId);
    assert.ok(stopped, 'the stop is audited');
    assert.equal((stopped.data as { reason?: string }).reason, 'cause-changed');
    assert.ok(
      audit.some((e) => e.type === 'diagnosis' && e.planId === holds.planId && /still holds/.test(e.summary)),
      'the re-probe that let it go on is audited',
    );
  });
});
