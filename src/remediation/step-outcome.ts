/** How a step ended: what the audit log, the checkpoint and the thread are told. */
export interface StepOutcome {
  readonly ok: boolean;
  readonly exitCode: number | null;
  /** Digested into the audit log, never stored. */
  readonly output: string;
  /** One line for the thread and the audit summary; nothing secret in it. */
  readonly detail: string;
}
