import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, parseEnv } from '../../src/config/load-config.js';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { conditionReason, problemCondition } from '../../src/kube/node-condition.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { renderSweepProblem, renderSweepResolved } from '../../src/slack/blocks/sweep-blocks.js';
import type { ProblemRecord } from '../../src/store/sweep-state-store.js';
import { wantedConditions } from '../../src/worker/sweep-conditions.js';
import { nextProblemState, type Observation } from '../../src/worker/sweep-flap.js';
import { observeSweep } from '../../src/worker/sweep-observe.js';
import { clusterFacts, fixture } from '../support/facts-builder.js';

const KEY = 'node-2/icmp-blocked';
const seen = (fingerprint = 'f1'): Observation => ({
  kind: 'seen',
  node: 'node-2',
  causeId: 'icmp-blocked',
  fingerprint,
  headline: 'ICMP is dropped',
  seenVia: ['node-2'],
});
const absent: Observation = { kind: 'absent' };
const unobserved: Observation = { kind: 'unobserved' };

/** Runs observations through the flap filter, one sweep each, and lists the actions taken. */
function drive(observations: Observation[], start?: ProblemRecord, prefix = start ? 'later-' : 's') {
  let record = start;
  const actions: string[] = [];
  observations.forEach((o, i) => {
    const moved = nextProblemState(KEY, record, o, {
      sweepId: `${prefix}${i}`,
      now: `t${i}`,
      runId: `run-${i}`,
    });
    record = moved.next;
    actions.push(moved.action);
  });
  return { record, actions };
}

describe('sweep flap filter (pure)', () => {
  it('announces a problem seen on two consecutive sweeps, once, and resolves it after two absent ones', () => {
    const { record, actions } = drive([seen(), seen(), seen(), seen(), absent, absent]);
    assert.deepEqual(actions, ['none', 'announce', 'none', 'none', 'none', 'resolve']);
    assert.equal(record?.phase, 'resolved');
    assert.equal(record?.runId, 'run-1', 'the run id given when it was announced is kept to the end');
  });

  it('says nothing about a single flap (seen once, then gone)', () => {
    const { record, actions } = drive([seen(), absent, seen(), absent, absent]);
    assert.deepEqual(actions, ['none', 'none', 'none', 'none', 'none']);
    assert.equal(record, undefined);
  });

  it('keeps an announced problem open through a single absent sweep', () => {
    const { record, actions } = drive([seen(), seen(), absent, seen(), absent, seen()]);
    assert.deepEqual(actions, ['none', 'announce', 'none', 'none', 'none', 'none']);
    assert.equal(record?.phase, 'open');
  });

  it('updates in place only when the problem looks different', () => {
    const { actions } = drive([seen('a'), seen('a'), seen('a'), seen('b'), seen('b'), absent, seen('c')]);
    assert.deepEqual(actions, ['none', 'announce', 'none', 'update', 'none', 'none', 'update']);
  });

  it('an unobserved sweep (node unreachable) changes nothing, neither announcing nor resolving', () => {
    const open = drive([seen(), seen()]).record;
    assert.equal(open?.phase, 'open');
    const after = drive([unobserved, unobserved, unobserved], open);
    assert.deepEqual(after.actions, ['none', 'none', 'none']);
    assert.deepEqual(after.record, open);
    const pending = drive([seen(), unobserved, seen()]);
    assert.deepEqual(pending.actions, ['none', 'none', 'announce']);
  });

  it('the same sweep run again repeats its action instead of counting twice', () => {
    const first = nextProblemState(KEY, undefined, seen(), { sweepId: 'a', now: 't', runId: 'r0' });
    const second = nextProblemState(KEY, first.next, seen(), { sweepId: 'b', now: 't', runId: 'r1' });
    assert.equal(second.action, 'announce');
    const replay = nextProblemState(KEY, second.next, seen(), { sweepId: 'b', now: 't', runId: 'r-other' });
    assert.equal(
      replay.action,
      'announce',
      'a re-run of sweep b announces again (same run id: the outbox de-duplicates)',
    );
    assert.equal(replay.next?.runId, 'r1');
    const third = nextProblemState(KEY, second.next, seen(), { sweepId: 'c', now: 't', runId: 'r2' });
    assert.equal(third.action, 'none');
  });

  it('a resolved record is forgotten by the next sweep, and a comeback starts over', () => {
    const { record } = drive([seen(), seen(), absent, absent]);
    const next = nextProblemState(KEY, record, absent, { sweepId: 'later', now: 't', runId: 'x' });
    assert.equal(next.next, undefined);
    const back = drive([seen(), seen()], record);
    assert.deepEqual(back.actions, ['none', 'announce']);
  });
});

describe('sweep observation (pure)', () => {
  const icmpOnNode3 = () =>
    diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
        cp: {
          [PROBE.iptables]: { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\nCOMMIT\n' },
        },
      }),
    );

  it('keys a problem by the node it is on, whichever report showed it', () => {
    const report = icmpOnNode3();
    const { seen: problems } = observeSweep([{ node: 'node-3', report }], [], new Set(['cp-1', 'node-3']));
    assert.deepEqual([...problems.keys()], ['cp-1/icmp-blocked']);
    const p = problems.get('cp-1/icmp-blocked')!;
    assert.equal(p.report.rootCauses.length, 1);
    assert.deepEqual(p.observation.seenVia, ['node-3']);
  });

  it('a known problem is absent only if its node and the nodes that showed it were reached', () => {
    const record = {
      key: 'cp-1/icmp-blocked',
      node: 'cp-1',
      causeId: 'icmp-blocked',
      phase: 'open',
      fingerprint: 'x',
      headline: 'h',
      seenVia: ['node-3'],
      lastSweep: 's',
      lastAction: 'none',
      since: 't',
    } as const;
    const healthy = diagnose(clusterFacts());
    const both = observeSweep(
      [
        { node: 'cp-1', report: { ...healthy, node: 'cp-1' } },
        { node: 'node-3', report: healthy },
      ],
      [record],
      new Set(['cp-1', 'node-3']),
    );
    assert.equal(both.observations.get(record.key)?.kind, 'absent');
    const failed = observeSweep(
      [
        { node: 'cp-1', report: { ...healthy, node: 'cp-1' } },
        { node: 'node-3', report: undefined },
      ],
      [record],
      new Set(['cp-1', 'node-3']),
    );
    assert.equal(failed.observations.get(record.key)?.kind, 'unobserved');
  });
});

describe('node condition', () => {
  it('turns catalog ids into valid condition reasons', () => {
    const valid = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
    for (const [id, reason] of [
      ['icmp-blocked', 'IcmpBlocked'],
      ['vxlan-8472-blocked', 'Vxlan8472Blocked'],
      ['flannel1-missing', 'Flannel1Missing'],
      ['podcidr-overlaps-host-net', 'PodcidrOverlapsHostNet'],
    ] as const) {
      assert.equal(conditionReason(id), reason);
      assert.match(conditionReason(id), valid);
    }
    assert.equal(conditionReason('-'), 'NetworkProblem');
    assert.match(problemCondition('icmp-blocked', 'x').message, /^icmp-blocked: x$/);
  });

  it('wants True for the oldest open problem of a node, False only for a node it marked', () => {
    const rec = (node: string, causeId: string, phase: ProblemRecord['phase'], since: string) =>
      ({ key: `${node}/${causeId}`, node, causeId, phase, since, headline: causeId }) as ProblemRecord;
    const wanted = wantedConditions(
      [
        rec('node-1', 'mtu-mismatch', 'open', '2'),
        rec('node-1', 'icmp-blocked', 'clearing', '1'),
        rec('node-2', 'icmp-blocked', 'pending', '1'),
      ],
      new Map([
        ['node-3', { status: 'True', reason: 'IcmpBlocked', message: 'm' }],
        ['node-4', { status: 'False', reason: 'NetworkOk', message: 'm' }],
      ] as const),
      new Set(['node-1', 'node-2', 'node-3', 'node-4']),
    );
    assert.equal(wanted.get('node-1')?.reason, 'IcmpBlocked');
    assert.equal(wanted.has('node-2'), false, 'a pending problem is not announced, so not marked either');
    assert.equal(wanted.get('node-3')?.status, 'False');
    assert.equal(wanted.has('node-4'), false);
  });
});

describe('sweep messages', () => {
  it('an announcement carries the id, the status line and the plan; resolved, it loses the buttons', () => {
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
        cp: {
          [PROBE.iptables]: { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\nCOMMIT\n' },
        },
      }),
    );
    const actions = { type: 'actions', block_id: 'plan-p1', elements: [] };
    const message = renderSweepProblem(report, 'run-1', new Set(['cp-1']), 'seen <!channel>');
    assert.match(message.text, /`icmp-blocked`/);
    assert.doesNotMatch(JSON.stringify(message.blocks), /<!channel>/);
    const resolved = renderSweepResolved({ ...message, blocks: [...message.blocks, actions] }, 'gone');
    assert.match(resolved.text, /Resolved/);
    assert.ok(!resolved.blocks.some((b) => b.block_id === 'plan-p1'));
    assert.match(JSON.stringify(resolved.blocks), /gone/);
  });
});

describe('sweep configuration', () => {
  it('parses intervals and refuses nonsense with the variable named', () => {
    assert.equal(parseEnv({ NETCHECK_SWEEP_INTERVAL: '5m' }).NETCHECK_SWEEP_INTERVAL, 300_000);
    assert.equal(parseEnv({ NETCHECK_SWEEP_INTERVAL: '30s' }).NETCHECK_SWEEP_INTERVAL, 30_000);
    assert.equal(parseEnv({}).NETCHECK_SWEEP_INTERVAL, undefined);
    for (const bad of ['5', '1s', '0m', '2d', '-5m', '25h'])
      assert.throws(() => parseEnv({ NETCHECK_SWEEP_INTERVAL: bad }), /NETCHECK_SWEEP_INTERVAL=.*expected/);
  });

  it('needs a channel with an interval, and one where the buttons work', async () => {
    const base = { NETCHECK_ROLE: 'bot', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret-123' };
    await assert.rejects(loadConfig({ ...base, NETCHECK_SWEEP_INTERVAL: '5m' }), (e: ConfigError) =>
      e.problems.some((p) => /^NETCHECK_SWEEP_CHANNEL is not set; .*NETCHECK_SWEEP_INTERVAL is set/.test(p)),
    );
    await assert.rejects(
      loadConfig({
        ...base,
        NETCHECK_SWEEP_INTERVAL: '5m',
        NETCHECK_SWEEP_CHANNEL: 'C0SWEEP',
        NETCHECK_CHANNELS: 'C0OTHER',
      }),
      (e: ConfigError) =>
        e.problems.some((p) => /^NETCHECK_SWEEP_CHANNEL=C0SWEEP: not in NETCHECK_CHANNELS/.test(p)),
    );
  });
});
