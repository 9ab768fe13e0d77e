import type { Auditor } from '../audit/audit-event.js';
import type { Clock } from '../core/clock.js';
import type { IdSource } from '../core/ids.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { ProbeOutput } from '../probes/probe-output.js';
import type { NodeReport, ProbeJobData } from '../queue/job-types.js';
import type { Plan } from '../remediation/plan.js';
import type { PlanSigner } from '../remediation/plan-signer.js';
import type { NodeDiagnoser } from './diagnose-node.js';
import { probeRunEvents } from './run-events.js';

export interface ProbeRunDeps {
  /** Fact collection and diagnosis of one node. */
  readonly nodes: NodeDiagnoser;
  /** Builds the fix on offer for a report, if any (pure). */
  readonly planFor: (
    report: DiagnosisReport,
    ids: { planId: string; runId: string; requestedBy: string; createdAt: string },
  ) => Plan | undefined;
  readonly savePlan: (plan: Plan, nowMs: number) => Promise<void>;
  /** Signs every plan this worker builds with NETCHECK_PLAN_KEY; the executor runs no other. */
  readonly signer: Pick<PlanSigner, 'sign'>;
  readonly audit: Auditor;
  readonly clock: Pick<Clock, 'now' | 'isoNow'>;
  readonly ids: IdSource;
  readonly logger: { info(obj: object, msg: string): void };
  /** Which worker ran it, for the audit trail (zones: which zone's worker took the node's job). */
  readonly worker?: { readonly id: string; readonly zone: string | undefined };
}

/**
 * One probe job, start to finish: probe the node, diagnose it, store the plan on offer, audit what
 * was done and seen. Returns the report (with its plan) for the worker to post; it changes nothing
 * on any node.
 */
export async function runProbe(deps: ProbeRunDeps, job: ProbeJobData): Promise<NodeReport> {
  // An unknown node fails here, before the run is audited as started.
  const node = deps.nodes.resolve(job.node);
  const t0 = deps.clock.now();
  const [{ facts, report: diagnosis }] = await Promise.all([
    deps.nodes.diagnoseShared(node),
    deps.audit.record({
      type: 'run.started',
      actor: 'netcheck',
      runId: job.runId,
      node: job.node,
      summary: `probing ${job.node} for <@${job.requestedBy}>`,
      ...(deps.worker ? { data: { worker: deps.worker.id, zone: deps.worker.zone ?? null } } : {}),
    }),
  ]);
  // The plan is stored before the report goes out, so its buttons always find it.
  const built = deps.planFor(diagnosis, {
    planId: deps.ids.next('plan'),
    runId: job.runId,
    requestedBy: job.requestedBy,
    createdAt: deps.clock.isoNow(),
  });
  const t1 = deps.clock.now();
  const plan = built && deps.signer.sign(built);
  if (plan) await deps.savePlan(plan, deps.clock.now());
  // Handed over together, in order: the audit store writes events that queue up in one
  // transaction (group commit), so a run's events cost one write, not one each.
  await Promise.all(probeRunEvents(job.runId, facts, diagnosis, plan).map((e) => deps.audit.record(e)));
  const t2 = deps.clock.now();
  const report = { ...diagnosis, plan };
  deps.logger.info(
    {
      runId: job.runId,
      node: job.node,
      verdict: report.verdict,
      causes: report.rootCauses.map((c) => c.id),
      ms: Math.round(facts.durationMs),
      // Per node: connect, the waits its network probes had and what ran again (probe-deadline.ts, undecided-probes.ts).
      nodes: Object.values(facts.nodes).map((n) => ({
        node: n.name,
        connectMs: n.connection.ok ? Math.round(n.connection.durationMs) : n.connection.code,
        waits: n.waits,
        slowest: slowestProbe(n.outputs),
      })),
      kube: facts.kube.status,
      sinceRequestMs: deps.clock.now() - Date.parse(job.requestedAt),
      // Where the time went: queued before this job started, collecting (or waiting for a shared
      // run), then the plan and the audit entries.
      phasesMs: { queued: t0 - Date.parse(job.requestedAt), collect: t1 - t0, record: t2 - t1 },
    },
    'diagnosed',
  );
  return report;
}

/** A node's slowest probe and its run (ms), for the log: where a diagnosis' time went. */
function slowestProbe(outputs: Readonly<Record<string, ProbeOutput>>): string | undefined {
  let slowest: ProbeOutput | undefined;
  for (const o of Object.values(outputs)) if (!slowest || o.durationMs > slowest.durationMs) slowest = o;
  return slowest && `${slowest.probe} ${Math.round(slowest.durationMs)} ms`;
}
