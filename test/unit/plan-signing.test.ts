import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/audit-event.js';
import type { DiagnosisReport } from '../../src/diagnosis/diagnosis-report.js';
import { executePlan } from '../../src/remediation/executor.js';
import type { ExecutorDeps } from '../../src/remediation/executor-deps.js';
import { runJoinStep } from '../../src/remediation/join-step.js';
import type { Plan } from '../../src/remediation/plan.js';
import type { PlanRepository } from '../../src/remediation/plan-repository.js';
import { createPlanSigner } from '../../src/remediation/plan-signer.js';
import type { RemediationMessage } from '../../src/remediation/remediation-message.js';
import { admitPlan } from '../../src/remediation/run-admission.js';
import { planFor } from '../../src/remediation/runbooks.js';

const KEY = 'unit-test-plan-key-0123456789abcdef';
const signer = createPlanSigner(KEY);
const ids = { planId: 'plan-1', runId: 'run-1', requestedBy: 'U0REQ', createdAt: '2026-11-24T03:00:00.000Z' };
const NOW = Date.parse(ids.createdAt) + 60_000;

const report = (remedy: unknown) => ({ rootCauses: [{ id: 'x', remedy }] }) as unknown as DiagnosisReport;
const sysctlPlan = () =>
  signer.sign(
    planFor(report({ kind: 'set-sysctl', node: 'node-3', key: 'net.ipv4.ip_forward', value: '1' }), ids)!,
  );
const resetPlan = () =>
  signer.sign(
    planFor(report({ kind: 'reset-worker', node: 'node-3', controlPlane: 'cp-1', uplink: undefined }), ids)!,
  );
/** A plan as it comes back from Redis: JSON, where `undefined` fields vanish. */
const roundTrip = (plan: Plan): Plan => JSON.parse(JSON.stringify(plan)) as Plan;

describe('plan signatures', () => {
  it('a worker-signed plan verifies after a trip through JSON, and its hash is the one shown', () => {
    const plan = roundTrip(resetPlan());
    assert.match(plan.signature ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(signer.verify(plan), { ok: true, hash: plan.hash });
    assert.deepEqual(admitPlan(signer, plan, plan.hash, NOW), { ok: true });
  });

  it('any change to what runs, where or under which approval breaks the signature', () => {
    const edits: [string, (p: Plan) => Plan][] = [
      [
        'a step command',
        (p) => ({
          ...p,
          steps: p.steps.map((s, i) =>
            i === 0 && s.kind === 'shell' ? { ...s, command: 'touch /pwned' } : s,
          ),
        }),
      ],
      [
        'a step check',
        (p) => ({
          ...p,
          steps: p.steps.map((s, i) => (i === 0 && s.kind === 'shell' ? { ...s, check: 'true' } : s)),
        }),
      ],
      [
        'a step node',
        (p) => ({ ...p, steps: p.steps.map((s, i) => (i === 0 ? { ...s, node: 'cp-1' } : s)) }),
      ],
      ['a destructive flag', (p) => ({ ...p, steps: p.steps.map((s) => ({ ...s, destructive: false })) })],
      [
        'the join source',
        (p) => ({ ...p, steps: p.steps.map((s) => (s.kind === 'join' ? { ...s, joinFrom: 'node-1' } : s)) }),
      ],
      ['a step timeout', (p) => ({ ...p, steps: p.steps.map((s) => ({ ...s, timeoutMs: 1 })) })],
      ['a step added', (p) => ({ ...p, steps: [...p.steps, { ...p.steps[0]!, n: 99 }] })],
      ['the plan node', (p) => ({ ...p, node: 'cp-1' })],
      ['the plan id', (p) => ({ ...p, planId: 'plan-2' })],
      ['the requester', (p) => ({ ...p, requestedBy: 'U0APPROVER' })],
      [
        'the remedy (approvals needed)',
        (p) => ({ ...p, remedy: { ...p.remedy, kind: 'set-sysctl' } as Plan['remedy'] }),
      ],
      ['the expiry', (p) => ({ ...p, expiresAt: '2030-01-01T00:00:00.000Z' })],
      ['the plan-level destructive flag', (p) => ({ ...p, destructive: false })],
      ['the backup folder', (p) => ({ ...p, backupDir: '/' })],
    ];
    for (const [what, edit] of edits) {
      const edited = edit(resetPlan());
      assert.deepEqual(signer.verify(edited).ok, false, what);
      const admission = admitPlan(signer, edited, edited.hash, NOW);
      assert.equal(admission.ok, false, what);
      assert.equal(!admission.ok && admission.code, 'bad-signature', what);
    }
  });

  it('unsigned, re-signed without the key, signed with another key, or re-hashed by hand: refused', () => {
    const plan = resetPlan();
    const { signature: _s, ...unsigned } = plan;
    assert.equal((admitPlan(signer, unsigned, plan.hash, NOW) as { code: string }).code, 'unsigned');
    const otherKey = createPlanSigner('another-key-that-is-not-the-workers-0123');
    const forged = otherKey.sign({ ...plan, steps: plan.steps.map((s) => ({ ...s })) });
    assert.equal((admitPlan(signer, forged, forged.hash, NOW) as { code: string }).code, 'bad-signature');
    const junk = { ...plan, signature: 'zz' };
    assert.equal((admitPlan(signer, junk, plan.hash, NOW) as { code: string }).code, 'bad-signature');
  });

  it('a signed plan other than the one the approver saw, or one picked up long after its window, is refused', () => {
    const plan = sysctlPlan();
    const other = resetPlan();
    assert.equal(
      (admitPlan(signer, plan, other.hash, NOW) as { code: string }).code,
      'not-what-was-approved',
    );
    assert.equal((admitPlan(signer, plan, '', NOW) as { code: string }).code, 'not-what-was-approved');
    const late = Date.parse(plan.expiresAt) + 2 * 60_000 + 1;
    assert.equal((admitPlan(signer, plan, plan.hash, late) as { code: string }).code, 'too-late');
  });

  it('a key shorter than 32 characters is refused', () => {
    assert.throws(() => createPlanSigner('short'), /NETCHECK_PLAN_KEY/);
  });
});

describe('the executor refuses before the lock and before any step', () => {
  function fakes(stored: Plan) {
    const execs: string[] = [];
    const posts: RemediationMessage[] = [];
    const audits: AuditEvent[] = [];
    const calls: string[] = [];
    const plans = {
      get: async () => ({
        plan: stored,
        state: 'approved',
        decidedBy: 'U0REQ',
        decidedAt: 'x',
        expiresAt: 0,
        steps: {},
      }),
      lockNode: async () => {
        calls.push('lock');
        return true;
      },
      beginRun: async () => {
        calls.push('begin');
        return { code: 'running' };
      },
    } as unknown as PlanRepository;
    const deps = {
      plans,
      signer,
      target: (name: string) => ({ name, host: '127.0.0.1', port: 22 }),
      exec: async (_t: unknown, c: { text: string }) => {
        execs.push(c.text);
        return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
      },
      post: async (m: RemediationMessage) => {
        posts.push(m);
      },
      audit: { record: async (e: AuditEvent) => void audits.push(e) },
      now: () => NOW,
      isoNow: () => new Date(NOW).toISOString(),
    } as unknown as ExecutorDeps;
    return { deps, execs, posts, audits, calls };
  }

  for (const [what, make] of [
    [
      'a command edited in Redis',
      () => {
        const p = sysctlPlan();
        return {
          ...p,
          steps: p.steps.map((s) => (s.kind === 'shell' ? { ...s, command: 'touch /pwned' } : s)),
        };
      },
    ],
    [
      'an unsigned plan',
      () => {
        const { signature: _s, ...p } = sysctlPlan();
        return p;
      },
    ],
  ] as const) {
    it(`${what}: nothing runs, the thread says why, the audit log records plan.refused`, async () => {
      const plan = make() as Plan;
      const f = fakes(plan);
      await executePlan(f.deps, plan.planId, plan.hash);
      assert.deepEqual(f.execs, [], 'no command ran');
      assert.deepEqual(f.calls, [], 'not even the lock was taken');
      assert.equal(f.audits[0]?.type, 'plan.refused');
      assert.match(
        String((f.posts[0] as { text: string }).text),
        /refused plan `plan-1`.*Nothing was run on node-3/,
      );
    });
  }

  it('a button whose hash differs from the signed plan: refused too', async () => {
    const plan = sysctlPlan();
    const f = fakes(plan);
    await executePlan(f.deps, plan.planId, resetPlan().hash);
    assert.deepEqual(f.execs, []);
    assert.match(String((f.posts[0] as { text: string }).text), /not the plan the approver was shown/);
  });
});

describe('the join step', () => {
  const JOIN_LINE =
    'kubeadm join 198.18.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
    '0'.repeat(64);
  const step = {
    kind: 'join',
    n: 9,
    node: 'node-3',
    title: 'rejoin',
    joinFrom: 'cp-1',
    check: 'test -e /etc/kubernetes/kubelet.conf',
    destructive: true,
    timeoutMs: 1000,
  } as const;

  for (const joinExit of [0, 1]) {
    it(`a ${joinExit === 0 ? 'successful' : 'failed'} join: token for 10 min, secret only on stdin, token deleted afterwards`, async () => {
      const runs: { node: string; command: string; stdin: string | undefined }[] = [];
      const deps = {
        target: (name: string) => ({ name, host: '127.0.0.1', port: 22 }),
        exec: async (t: { name: string }, c: { text: string }, o: { stdin?: string }) => {
          runs.push({ node: t.name, command: c.text, stdin: o.stdin });
          if (c.text.startsWith('kubeadm token create'))
            return { exitCode: 0, stdout: `${JOIN_LINE}\n`, stderr: '', timedOut: false };
          if (c.text.includes('kubeadm join'))
            return { exitCode: joinExit, stdout: '', stderr: joinExit ? 'join failed' : '', timedOut: false };
          return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
        },
      };
      const outcome = await runJoinStep(deps as never, step, { name: 'node-3', host: '127.0.0.1', port: 22 });
      assert.equal(outcome.ok, joinExit === 0);
      assert.equal(runs[0]!.command, 'kubeadm token create --ttl 10m --print-join-command');
      const join = runs.find((r) => r.command.includes('kubeadm join'))!;
      assert.equal(join.node, 'node-3');
      assert.doesNotMatch(join.command, /0123456789abcdef/, 'the secret is not on the command line');
      assert.match(join.stdin ?? '', /kind: JoinConfiguration[\s\S]*token: "abcdef\.0123456789abcdef"/);
      assert.deepEqual(runs.at(-1), {
        node: 'cp-1',
        command: 'kubeadm token delete abcdef',
        stdin: undefined,
      });
      assert.match(outcome.detail, /join token abcdef deleted on cp-1/);
      assert.doesNotMatch(outcome.detail, /0123456789abcdef/);
    });
  }
});
