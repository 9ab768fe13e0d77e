import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { Plan } from '../remediation/plan.js';

/**
 * A node's diagnosis with the fix on offer, attached by the worker after diagnosis (it runs only on
 * approval): what crosses Redis to the bot and is rendered in Slack.
 */
export interface NodeReport extends DiagnosisReport {
  readonly plan?: Plan | undefined;
}

/** What the bot asks a worker to do. Only inventory-validated values travel here. */
export interface ProbeJobData {
  readonly runId: string;
  readonly node: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly requestedAt: string;
}

/**
 * A Slack message the bot must send, as data. Workers enqueue these (they hold no Slack token);
 * the bot renders and delivers them. Each has a stable id, so a re-delivery is recognised.
 */
export type OutboxMessage =
  | {
      readonly kind: 'parent';
      readonly runId: string;
      readonly channel: string;
      readonly node: string;
      readonly requestedBy: string;
    }
  | { readonly kind: 'report'; readonly runId: string; readonly report: NodeReport }
  | { readonly kind: 'verdict'; readonly runId: string; readonly report: NodeReport }
  | { readonly kind: 'notice'; readonly runId: string; readonly text: string }
  /** A step-by-step line of a remediation run, in the run's thread; `seq` makes each one distinct. */
  | { readonly kind: 'progress'; readonly runId: string; readonly seq: string; readonly text: string }
  /** The plan was decided: the buttons go, who decided and when is shown. */
  /** A plan offered later in the thread (the rollback after a failed step), with its buttons. */
  | { readonly kind: 'plan-offered'; readonly runId: string; readonly plan: Plan; readonly text: string }
  | { readonly kind: 'plan-decided'; readonly runId: string; readonly planId: string; readonly text: string };

export interface RemediationJobData {
  readonly planId: string;
  readonly hash: string;
}

export const QUEUE_NAMES = { probe: 'probe', outbox: 'outbox', remediation: 'remediation' } as const;
