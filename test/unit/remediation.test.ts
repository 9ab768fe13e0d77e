import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import type { DiagnosisReport } from '../../src/diagnosis/diagnosis-report.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { approvalsNeeded, decisionRefusal, mayDecide } from '../../src/remediation/authorize.js';
import type { Plan } from '../../src/remediation/plan.js';
import { planHash } from '../../src/remediation/plan-hash.js';
import { PLAN_TRANSITIONS } from '../../src/remediation/plan-state.js';
import type { PlanStep } from '../../src/remediation/plan-step.js';
import { remedyCommands } from '../../src/remediation/remedy-commands.js';
import { planFor, rollbackPlanFor } from '../../src/remediation/runbooks.js';
import { stepText } from '../../src/remediation/step-text.js';
import { clusterFacts, clusterFactsWithPeer, fixture } from '../support/facts-builder.js';

/** A shell step's command and check (the runbooks below build only shell steps where these are read). */
function shell(step: PlanStep | undefined): { command: string; check: string } {
  assert.equal(step?.kind, 'shell');
  return step as Extract<PlanStep, { kind: 'shell' }>;
}

const ids = { planId: 'plan-1', runId: 'run-1', requestedBy: 'U0REQ', createdAt: '2026-11-24T03:00:00.000Z' };

function icmpReport() {
  return diagnose(
    clusterFacts({
      worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
      cp: {
        [PROBE.iptables]: {
          stdout:
            '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -m comment --comment "it\'s $(evil)" -j DROP\nCOMMIT\n*nat\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j X\nCOMMIT\n',
        },
      },
    }),
  );
}

describe('runbooks', () => {
  it('icmp-blocked: back up, then delete exactly the offending rule on the node that has it, quoted word by word', () => {
    const plan = planFor(icmpReport(), ids)!;
    assert.equal(plan.node, 'cp-1');
    assert.equal(plan.destructive, false);
    assert.match(
      shell(plan.steps[0]).command,
      /iptables-save > \/var\/backups\/netcheck\/20261124T030000-plan-1\/iptables.rules/,
    );
    assert.equal(
      shell(plan.steps[1]).command,
      `iptables -t filter -D INPUT -p icmp -m comment --comment 'it'\\''s $(evil)' -j DROP`,
    );
    assert.match(shell(plan.steps[1]).check, /^! \{ iptables -t filter -C INPUT -p icmp/);
    assert.equal(plan.hash.length, 64);
    assert.equal(planFor(icmpReport(), ids)!.hash, plan.hash, 'the hash is stable for the same steps');
  });

  it('no plan for a healthy node or a cause without a known narrow fix', () => {
    assert.equal(planFor(diagnose(clusterFacts()), ids), undefined);
    const flannel = diagnose(
      clusterFacts({
        worker: { [PROBE.flannelLink]: { exitCode: 1, stderr: 'Device "flannel.1" does not exist.' } },
      }),
    );
    assert.equal(planFor(flannel, ids), undefined);
  });
});

describe('step kinds', () => {
  const resetReport = {
    rootCauses: [
      {
        id: 'podcidr-overlaps-host-net',
        remedy: { kind: 'reset-worker', node: 'node-3', controlPlane: 'cp-1', uplink: undefined },
      },
    ],
  } as unknown as DiagnosisReport;

  it('a drain step has no command of its own and a join step never holds its token: their shown text is rendered from their data', () => {
    const plan = planFor(resetReport, ids)!;
    const drain = plan.steps.find((s) => s.kind === 'drain')!;
    const join = plan.steps.find((s) => s.kind === 'join')!;
    assert.equal('command' in drain, false);
    assert.equal('command' in join, false);
    assert.deepEqual(stepText(drain), {
      command:
        'kubectl cordon node-3; evict its pods except DaemonSet and mirror pods; kubectl delete node node-3',
      check: 'GET /api/v1/nodes/node-3 returns 404',
    });
    assert.equal(
      stepText(join).command,
      [
        '# on cp-1 (its output, the token, stays on the worker):',
        'kubeadm token create --ttl 10m --print-join-command',
        '# on node-3, with a JoinConfiguration for that token on stdin:',
        `umask 077 && f=$(mktemp /run/netcheck-join.XXXXXX) && trap 'rm -f "$f"' EXIT && trap 'exit 129' HUP && trap 'exit 130' INT && trap 'exit 143' TERM && cat > "$f" && kubeadm join --config "$f"`,
        '# on cp-1, afterwards, whether the join worked or not:',
        'kubeadm token delete <id of that token>',
      ].join('\n'),
    );
    assert.equal(join.kind === 'join' && join.joinFrom, 'cp-1');
    assert.equal(plan.hash, planHash(plan), 'the hash covers the text the approver is shown');
  });

  it('the state machine: a decision only from proposed, a run only from approved, nothing leaves an end state', () => {
    const from = (to: string) =>
      Object.entries(PLAN_TRANSITIONS)
        .filter(([, next]) => (next as readonly string[]).includes(to))
        .map(([state]) => state);
    assert.deepEqual(from('approved'), ['proposed']);
    assert.deepEqual(from('running'), ['approved']);
    for (const end of ['rejected', 'expired', 'done', 'failed', 'interrupted'] as const)
      assert.deepEqual(PLAN_TRANSITIONS[end], []);
  });
});

describe('join command', () => {
  it('the token file goes even when a hung join is ended by the transport timeout', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ncjoin-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // A kubeadm stand-in that says where its config is and hangs; the file goes to a test directory.
    writeFileSync(path.join(dir, 'kubeadm'), '#!/bin/sh\necho "$3"; exec sleep 30\n');
    chmodSync(path.join(dir, 'kubeadm'), 0o755);
    const text = remedyCommands.joinWithConfigOnStdin().text.replace('/run/', `${dir}/`);
    const run = spawnSync('timeout', ['--kill-after=5', '1', 'sh', '-c', text], {
      input: 'secret: abcdef.0123456789abcdef\n',
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      timeout: 20_000,
    });
    assert.equal(run.status, 124);
    assert.match(run.stdout, /netcheck-join\./, 'kubeadm ran with the file');
    assert.deepEqual(readdirSync(dir), ['kubeadm']);
  });
});

describe('control-plane re-init', () => {
  const kubeNode = (name: string, podCIDR: string | undefined) => ({
    name,
    podCIDR,
    internalIP: undefined,
    publicIp: undefined,
    vtepMac: undefined,
    ready: 'False',
    networkUnavailable: undefined,
  });
  const withNodes = (nodes: ReturnType<typeof kubeNode>[]) =>
    diagnose({
      ...clusterFactsWithPeer(),
      kube: { status: 'reachable', nodes, netConfNetwork: '10.244.0.0/16', flannelPods: [], flannelLog: [] },
    });

  it('offered only when no node of the cluster has a podCIDR: check, back up (etcd too), reset safely, init, apply Flannel', () => {
    const report = withNodes([kubeNode('cp-1', undefined), kubeNode('node-3', undefined)]);
    const plan = planFor(report, ids)!;
    assert.equal(plan.causeId, 'podcidr-not-assigned');
    assert.equal(plan.node, 'cp-1');
    assert.equal(plan.destructive, true);
    assert.equal(approvalsNeeded(plan), 2);
    const titles = plan.steps.map((s) => s.title);
    assert.match(titles[0]!, /kube-flannel\.yml is on cp-1 and its net-conf Network is 10\.244\.0\.0\/16/);
    assert.equal(plan.steps[0]!.destructive, false, 'the prerequisite check changes nothing');
    assert.match(shell(plan.steps[0]).command, /grep -Eq '"Network": \*"10\\\.244\\\.0\\\.0\/16"'/);
    assert.match(titles[2]!, /back up etcd/);
    const order = [
      'INPUT policy to ACCEPT',
      'kubeadm reset --force',
      'flush the filter',
      'kubeadm init',
      'Flannel manifest',
    ];
    const at = order.map((t) => titles.findIndex((x) => x.includes(t)));
    assert.ok(
      at.every((i, k) => i > 2 && (k === 0 || i > at[k - 1]!)),
      `order: ${titles.join(' | ')}`,
    );
    assert.ok(
      plan.steps.some(
        (s) => s.kind === 'shell' && s.command === 'kubeadm init --pod-network-cidr=10.244.0.0/16',
      ),
    );
    const rollback = rollbackPlanFor(plan, { planId: 'plan-2', createdAt: ids.createdAt });
    assert.equal(approvalsNeeded(rollback), 2, 'its rollback is gated as hard');
    assert.match(rollback.steps[0]!.title, /etcd/);
  });

  it('not offered when only this node lacks a podCIDR (range used up): that needs a human', () => {
    const report = withNodes([kubeNode('cp-1', '10.244.0.0/24'), kubeNode('node-3', undefined)]);
    assert.equal(report.rootCauses[0]?.id, 'podcidr-not-assigned');
    assert.equal(planFor(report, ids), undefined);
  });
});

describe('who may decide', () => {
  const safe = { requestedBy: 'U0REQ', destructive: false } as Plan;
  const destructive = { requestedBy: 'U0REQ', destructive: true } as Plan;
  const approvers = ['U0APP'];

  it('a safe plan: the requester or an approver, nobody else', () => {
    assert.equal(mayDecide(safe, 'U0REQ', approvers, 'approve').ok, true);
    assert.equal(mayDecide(safe, 'U0APP', approvers, 'approve').ok, true);
    assert.equal(mayDecide(safe, 'U0OTHER', approvers, 'approve').ok, false);
  });

  it('a destructive plan: an approver who is not the requester', () => {
    assert.match(
      String((mayDecide(destructive, 'U0REQ', ['U0REQ', 'U0APP'], 'approve') as { why: string }).why),
      /second person/,
    );
    assert.match(
      String((mayDecide(destructive, 'U0OTHER', approvers, 'approve') as { why: string }).why),
      /NETCHECK_APPROVERS/,
    );
    assert.equal(mayDecide(destructive, 'U0APP', approvers, 'approve').ok, true);
    assert.equal(mayDecide(destructive, 'U0REQ', approvers, 'reject').ok, true);
  });

  it('explains refusals from the state machine', () => {
    assert.match(decisionRefusal({ code: 'expired' }), /expired/);
    assert.match(
      decisionRefusal({ code: 'already-decided', state: 'approved' }),
      /already approved; a second click does nothing/,
    );
    assert.match(decisionRefusal({ code: 'hash-mismatch' }), /changed/);
  });
});
