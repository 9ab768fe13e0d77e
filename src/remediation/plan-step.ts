import type { RemoteCommand } from '../ssh/remote-command.js';

interface StepBase {
  readonly n: number;
  /** The node the step acts on. */
  readonly node: string;
  readonly title: string;
  readonly destructive: boolean;
  readonly timeoutMs: number;
}

/**
 * A command from remedy-commands.ts, run over SSH, then its check (exit 0 when the step had its
 * effect). Both are stored as text: plans travel through Redis as JSON, where the brand is lost
 * (see approved-command.ts for how they become RemoteCommands again).
 */
export interface ShellStep extends StepBase {
  readonly kind: 'shell';
  readonly command: string;
  readonly check: string;
}

/**
 * Cordon `node`, evict its pods and delete its node object through the Kubernetes API; when the
 * API does not answer, the step says so and the plan goes on over SSH.
 */
export interface DrainStep extends StepBase {
  readonly kind: 'drain';
}

/**
 * Fetch a fresh join command on `joinFrom` (the control plane) and run it on `node`. The command
 * holds a bootstrap token, so it is never shown, logged or stored; `check` runs afterwards.
 */
export interface JoinStep extends StepBase {
  readonly kind: 'join';
  readonly joinFrom: string;
  readonly check: string;
}

/** One step of a fix: what it does, where it runs, and how its effect is checked. */
export type PlanStep = ShellStep | DrainStep | JoinStep;
export type StepKind = PlanStep['kind'];

/** A step before the plan numbers it (runbooks build these). */
export type StepDraft = Unnumbered<PlanStep>;
type Unnumbered<S> = S extends PlanStep ? Omit<S, 'n'> : never;

export const STEP_TIMEOUT_MS = 10_000;

/** A shell step from two reviewed templates: the brand is checked here, then the text is kept. */
export function shellStep(
  node: string,
  title: string,
  command: RemoteCommand,
  check: RemoteCommand,
  destructive: boolean,
  timeoutMs = STEP_TIMEOUT_MS,
): StepDraft {
  return { kind: 'shell', node, title, command: command.text, check: check.text, destructive, timeoutMs };
}
