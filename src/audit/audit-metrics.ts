import type { NetcheckMetrics } from '../metrics/netcheck-metrics.js';
import type { AuditEvent } from './audit-event.js';

type Data = Readonly<Record<string, unknown>>;

/**
 * Counts what an audit event says happened. Every event worth a metric is already audited, so this
 * one observer of the audit append replaces counters sprinkled through the code. Label values are
 * bounded by the metrics themselves (unknown values become `other`).
 */
export function observeAuditEvent(metrics: NetcheckMetrics, event: AuditEvent): void {
  const data: Data = event.data ?? {};
  switch (event.type) {
    case 'diagnosis': {
      const causes = Array.isArray(data.rootCauses) ? (data.rootCauses as { id?: unknown }[]) : [];
      const ms = typeof data.durationMs === 'number' ? data.durationMs : undefined;
      if (ms !== undefined)
        metrics.diagnosis(
          data.verdict,
          ms / 1000,
          causes.map((c) => c.id),
        );
      return;
    }
    case 'probe.batch':
      if (typeof data.connection === 'string' && data.connection !== 'ok')
        metrics.sshFailure(data.connection);
      if (typeof data.timedOut === 'number' && data.timedOut > 0) metrics.probeTimeouts.inc(data.timedOut);
      return;
    case 'plan.approved':
    case 'plan.rejected': {
      const proposed = typeof data.proposedAt === 'string' ? Date.parse(data.proposedAt) : Number.NaN;
      const decided = typeof data.decidedAtMs === 'number' ? data.decidedAtMs : Number.NaN;
      if (Number.isFinite(proposed) && Number.isFinite(decided) && decided >= proposed)
        metrics.decisionSeconds
          .labels(event.type === 'plan.approved' ? 'approved' : 'rejected')
          .observe((decided - proposed) / 1000);
      return;
    }
    case 'step.finished':
      metrics.steps.labels(data.ok === true ? 'ok' : 'failed').inc();
      return;
    case 'access.refused':
      if (data.kind === 'command') metrics.command('denied');
      return;
    default:
      return;
  }
}
