import { createHash } from 'node:crypto';
import type { Auditor } from '../audit/audit-event.js';
import type { Clock } from '../core/clock.js';
import type { IdSource } from '../core/ids.js';
import { mapBounded } from '../core/map-bounded.js';
import type { OutboxMessage } from '../queue/job-types.js';
import type { PlanSigner } from '../remediation/plan-signer.js';
import type { RunRecord } from '../store/run-store.js';
import type { ProblemRecord, SweepStateStore } from '../store/sweep-state-store.js';
import type { NodeDiagnoser } from './diagnose-node.js';
import type { ProbeRunDeps } from './probe-run.js';
import {
  type ConditionResult,
  conditionNote,
  reconcileConditions,
  type SetCondition,
  wantedConditions,
} from './sweep-conditions.js';
import { type FlapAction, nextProblemState } from './sweep-flap.js';
import { observeSweep, type SeenProblem, type SweptNode } from './sweep-observe.js';

/** Who "requested" a sweep's plan: nobody in Slack, so only an approver can approve it. */
export const SWEEP_REQUESTER = 'netcheck-sweep';

export interface SweepDeps {
  readonly nodes: NodeDiagnoser;
  /** The zone swept (undefined: the nodes without a zone), in the audit entries. */
  readonly zone: string | undefined;
  /** The zone's inventory nodes, in inventory order: the only nodes this sweep touches. */
  readonly names: readonly string[];
  /** How many nodes are diagnosed at once. */
  readonly concurrency: number;
  readonly state: SweepStateStore;
  readonly planFor: ProbeRunDeps['planFor'];
  readonly signer: Pick<PlanSigner, 'sign'>;
  readonly savePlan: ProbeRunDeps['savePlan'];
  readonly createRun: (run: Omit<RunRecord, 'parentTs' | 'parentFailed'>) => Promise<void>;
  readonly post: (message: OutboxMessage) => Promise<void>;
  /** Undefined without a KUBECONFIG. */
  readonly setCondition: SetCondition | undefined;
  readonly channel: string;
  readonly audit: Auditor;
  readonly clock: Pick<Clock, 'now' | 'isoNow' | 'monotonicMs'>;
  readonly ids: IdSource;
  /** This worker's name, in the audit entries. */
  readonly worker: string;
  readonly logger: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly nodes: number;
  readonly diagnosed: number;
  readonly problemsSeen: number;
  readonly announced: number;
  readonly updated: number;
  readonly resolved: number;
  readonly open: number;
  readonly pending: number;
}

/** A short stable id from text (run ids and outbox seqs must be plain `[A-Za-z0-9-]`). */
const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);
const clockTime = (iso: string) => iso.replace('T', ' ').replace(/\..*$/, ' UTC');

/**
 * One sweep of one zone: diagnose its nodes (bounded concurrency), move each problem through the
 * flap filter in Redis, bring its nodes' conditions in line, and post only what changed. Idempotent
 * per sweep id, so a stalled sweep job that BullMQ runs again repeats its messages' ids rather than
 * its messages. Another zone's problems and conditions are not touched (its sweeps run alongside).
 */
export async function runSweep(deps: SweepDeps, sweepId: string): Promise<SweepSummary> {
  const started = deps.clock.monotonicMs();
  await deps.audit.record({
    type: 'sweep.started',
    actor: 'netcheck',
    summary: `sweep of ${deps.names.length} nodes${deps.zone ? ` in zone ${deps.zone}` : ''} started on ${deps.worker}`,
    data: { sweepId, nodes: deps.names.length, names: deps.names, zone: deps.zone, worker: deps.worker },
  });
  const swept: SweptNode[] = await mapBounded(deps.names, deps.concurrency, async (node) => {
    try {
      // Shared: the zone's nodes are each other's peers, and a sweep's diagnoses run side by side.
      return { node, report: (await deps.nodes.diagnoseShared(deps.nodes.resolve(node))).report };
    } catch (error) {
      // Not a fact about the node (a bug, Redis gone): its problems are neither seen nor cleared.
      deps.logger.warn({ err: error, node, sweepId }, 'sweep could not diagnose a node');
      return { node, report: undefined };
    }
  });
  // This zone's nodes: another zone's problems and marks are its own sweeps' (they run alongside).
  const ours = new Set(deps.names);
  const { seen, observations } = observeSweep(swept, await deps.state.all(), ours);
  const now = deps.clock.isoNow();

  const acted: {
    key: string;
    action: FlapAction;
    runId: string | undefined;
    node: string;
    causeId: string;
  }[] = [];
  for (const [key, observation] of observations) {
    const action = await deps.state.transition(key, (previous) => {
      const moved = nextProblemState(key, previous, observation, {
        sweepId,
        now,
        runId: `sweep-${digest(`${sweepId}|${key}`)}`,
      });
      return { next: moved.next, result: { action: moved.action, record: moved.next ?? previous } };
    });
    if (action.action !== 'none' && action.record)
      acted.push({
        key,
        action: action.action,
        runId: action.record.runId,
        node: action.record.node,
        causeId: action.record.causeId,
      });
  }

  const records = await deps.state.all();
  const written = await deps.state.conditions();
  const conditions = await reconcileConditions(
    {
      setCondition: deps.setCondition,
      recordWritten: (node, c) => deps.state.recordCondition(node, c),
      audit: deps.audit,
      sweepId,
    },
    wantedConditions(records, written, ours),
    written,
  );

  for (const a of acted) await act(deps, sweepId, now, a, seen.get(a.key)?.report, conditions.get(a.node));
  await tellLateConditions(deps, sweepId, records, acted, conditions);

  const count = (action: FlapAction) => acted.filter((a) => a.action === action).length;
  const summary: SweepSummary = {
    sweepId,
    nodes: deps.names.length,
    diagnosed: swept.filter((s) => s.report).length,
    problemsSeen: seen.size,
    announced: count('announce'),
    updated: count('update'),
    resolved: count('resolve'),
    open: records.filter((r) => ours.has(r.node) && (r.phase === 'open' || r.phase === 'clearing')).length,
    pending: records.filter((r) => ours.has(r.node) && r.phase === 'pending').length,
  };
  await deps.audit.record({
    type: 'sweep.finished',
    actor: 'netcheck',
    summary: `sweep finished: ${summary.diagnosed}/${summary.nodes} nodes diagnosed, ${summary.problemsSeen} problems seen, ${summary.announced} announced, ${summary.updated} updated, ${summary.resolved} resolved`,
    data: {
      ...summary,
      names: deps.names,
      zone: deps.zone,
      worker: deps.worker,
      ms: Math.round(deps.clock.monotonicMs() - started),
    },
  });
  deps.logger.info(summary, 'sweep finished');
  return summary;
}

async function act(
  deps: SweepDeps,
  sweepId: string,
  now: string,
  a: { key: string; action: FlapAction; runId: string | undefined; node: string; causeId: string },
  report: SeenProblem['report'] | undefined,
  condition: ConditionResult | undefined,
): Promise<void> {
  const runId = a.runId;
  if (!runId) return;
  const about = { actor: 'netcheck', runId, node: a.node };
  if (a.action === 'resolve') {
    const note = `:white_check_mark: Resolved: \`${a.causeId}\` on ${a.node} was not seen on two consecutive sweeps (last checked ${clockTime(now)}) · ${conditionNote(condition)}`;
    await deps.post({ kind: 'sweep-resolved', runId, note });
    await deps.audit.record({
      ...about,
      type: 'problem.resolved',
      summary: `${a.causeId} on ${a.node} resolved (gone on two sweeps)`,
      data: { sweepId, zone: deps.zone, causeId: a.causeId, condition: condition?.outcome },
    });
    return;
  }
  if (!report) return;
  const plan = deps.planFor(report, {
    planId: deps.ids.next('plan'),
    runId,
    requestedBy: SWEEP_REQUESTER,
    createdAt: now,
  });
  const signed = plan && deps.signer.sign(plan);
  if (signed) await deps.savePlan(signed, deps.clock.now());
  const note = `Seen on two consecutive sweeps (${clockTime(now)}) · raised by a scheduled sweep, so only an approver (NETCHECK_APPROVERS) can approve its fix · ${conditionNote(condition)}`;
  const withPlan = { ...report, plan: signed };
  if (a.action === 'announce') {
    await deps.createRun({
      runId,
      node: a.node,
      channel: deps.channel,
      requestedBy: SWEEP_REQUESTER,
      createdAt: now,
    });
    await deps.post({ kind: 'sweep-problem', runId, report: withPlan, note });
  } else {
    await deps.post({
      kind: 'sweep-update',
      runId,
      seq: digest(sweepId),
      report: withPlan,
      note: `Changed at ${clockTime(now)} · ${conditionNote(condition)}`,
    });
  }
  await deps.audit.record({
    ...about,
    type: a.action === 'announce' ? 'problem.announced' : 'problem.updated',
    planId: signed?.planId,
    summary: `${a.causeId} on ${a.node} ${a.action === 'announce' ? 'announced (seen on two sweeps)' : 'updated (it looks different now)'}`,
    data: {
      sweepId,
      zone: deps.zone,
      causeId: a.causeId,
      headline: report.headline,
      condition: condition?.outcome,
    },
  });
}

/**
 * A condition that could not be written when its problem was announced and was written later:
 * the problem's thread is told, so what the message says about the node stays true.
 */
async function tellLateConditions(
  deps: SweepDeps,
  sweepId: string,
  records: readonly ProblemRecord[],
  acted: readonly { key: string }[],
  conditions: ReadonlyMap<string, ConditionResult>,
): Promise<void> {
  for (const [node, result] of conditions) {
    if (result.outcome !== 'written' || result.wanted.status !== 'True') continue;
    const holder = records.find(
      (r) =>
        r.node === node &&
        r.runId &&
        (r.phase === 'open' || r.phase === 'clearing') &&
        !acted.some((a) => a.key === r.key),
    );
    if (!holder?.runId) continue;
    await deps.post({
      kind: 'progress',
      runId: holder.runId,
      seq: `condition-${digest(sweepId)}`,
      text: `The Kubernetes API answers again: ${conditionNote(result)}.`,
    });
  }
}
