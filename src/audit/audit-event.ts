/** What happened, who did it, where. Every kind an incident review asks about has a type here. */
export type AuditType =
  | 'command.received'
  | 'command.refused'
  /** Refused for who or where (NETCHECK_CHANNELS, NETCHECK_USERS, the rate limit): logged, never posted. */
  | 'access.refused'
  | 'run.started'
  | 'probe.batch'
  | 'diagnosis'
  | 'plan.proposed'
  | 'plan.first-approval'
  | 'plan.approved'
  | 'plan.rejected'
  | 'plan.expired'
  | 'plan.refused'
  | 'step.started'
  | 'step.finished'
  | 'run.interrupted'
  | 'run.stopped'
  | 'verification'
  | 'host-key.refused'
  /** Scheduled sweeps (issue 16): each sweep, each problem's life, each node condition written. */
  | 'sweep.started'
  | 'sweep.finished'
  | 'problem.announced'
  | 'problem.updated'
  | 'problem.resolved'
  | 'node.condition'
  /** A `/netcheck mesh` finished: the counts, the findings and the nodes sent to diagnosis. */
  | 'mesh.finished';

export interface AuditEvent {
  readonly type: AuditType;
  /** Slack user id, or 'netcheck' for the bot's own actions. */
  readonly actor: string;
  readonly runId?: string | undefined;
  readonly planId?: string | undefined;
  readonly node?: string | undefined;
  /** One line a human reads in the incident channel. */
  readonly summary: string;
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/** An event as stored: numbered, timed and chained to the one before it. */
export interface AuditEntry extends AuditEvent {
  readonly seq: number;
  readonly at: string;
  /** The Redis stream id, for naming an entry in `audit verify`. */
  readonly id: string;
  readonly prev: string;
  readonly hash: string;
}

/** Anything that records audit events: the executor, the listeners, the workers. */
export interface Auditor {
  record(event: AuditEvent): Promise<void>;
}
