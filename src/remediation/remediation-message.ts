import type { Plan } from './plan.js';

/**
 * The Slack messages remediation posts, as data. They go through the outbox (src/queue/job-types.ts
 * composes OutboxMessage from these): workers hold no Slack token; the bot renders and delivers.
 */
export type RemediationMessage =
  | { readonly kind: 'notice'; readonly runId: string; readonly text: string }
  /** A step-by-step line of a remediation run, in the run's thread; `seq` makes each one distinct. */
  | { readonly kind: 'progress'; readonly runId: string; readonly seq: string; readonly text: string }
  /** A plan offered later in the thread (the rollback after a failed step), with its buttons. */
  | { readonly kind: 'plan-offered'; readonly runId: string; readonly plan: Plan; readonly text: string }
  /** The plan was decided: the buttons go, who decided and when is shown. */
  | { readonly kind: 'plan-decided'; readonly runId: string; readonly planId: string; readonly text: string };
