import { digest } from '../audit/audit-chain.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { planProposed } from '../audit/plan-proposed.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { ClusterFacts } from '../probes/cluster-facts.js';
import type { Plan } from '../remediation/plan.js';

/** Audit events for one probe run (pure): what was probed, what was concluded, what was offered. */
export function probeRunEvents(
  runId: string,
  facts: ClusterFacts,
  report: DiagnosisReport,
  plan: Plan | undefined,
): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const node of Object.values(facts.nodes)) {
    const outputs = Object.entries(node.outputs);
    const failed = outputs.filter(([, o]) => o.exitCode !== 0).map(([k]) => k);
    events.push({
      type: 'probe.batch',
      actor: 'netcheck',
      runId,
      node: node.name,
      summary: node.connection.ok
        ? `${outputs.length} probes over SSH, ${failed.length} non-zero`
        : `SSH to ${node.name} failed: ${node.connection.code}`,
      data: {
        connection: node.connection.ok ? 'ok' : node.connection.code,
        probes: outputs.length,
        nonZero: failed,
        timedOut: outputs.filter(([, o]) => o.timedOut).length,
        outputDigest: digest(JSON.stringify(node.outputs)),
      },
    });
    if (
      !node.connection.ok &&
      (node.connection.code === 'host-key-mismatch' || node.connection.code === 'host-key-unknown')
    )
      events.push({
        type: 'host-key.refused',
        actor: 'netcheck',
        runId,
        node: node.name,
        summary: `refused ${node.name}: its SSH host key is not the pinned one (${node.connection.code}); nothing ran there`,
        data: { detail: node.connection.detail },
      });
  }
  events.push({
    type: 'diagnosis',
    actor: 'netcheck',
    runId,
    node: report.node,
    summary: `${report.verdict}: ${report.headline}`,
    data: {
      verdict: report.verdict,
      durationMs: Math.round(facts.durationMs),
      rootCauses: report.rootCauses.map((c) => ({
        id: c.id,
        node: c.node,
        folded: c.folded.map((f) => f.id),
        evidenceDigest: digest(JSON.stringify(c.evidence)),
      })),
      unknowns: report.unknowns.map((c) => c.id),
    },
  });
  if (plan) events.push(planProposed(plan, 'netcheck'));
  return events;
}
