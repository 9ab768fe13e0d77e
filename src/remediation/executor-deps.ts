import type { Auditor } from '../audit/audit-event.js';
import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { DrainOutcome } from '../kube/kube-node-writer.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { PlanRepository } from './plan-repository.js';
import type { PlanSigner } from './plan-signer.js';
import type { RemediationMessage } from './remediation-message.js';
import type { RunTiming } from './run-timing.js';

export interface ExecResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** What the executor works with; every outside system is passed in (house rule 1). */
export interface ExecutorDeps {
  readonly plans: PlanRepository;
  /** Verifies a plan before it runs and signs the rollbacks a worker offers (NETCHECK_PLAN_KEY). */
  readonly signer: PlanSigner;
  readonly target: (node: string) => SshTarget | undefined;
  readonly exec: (
    target: SshTarget,
    command: RemoteCommand,
    opts: { timeoutMs: number; stdin?: string },
  ) => Promise<ExecResult>;
  /** Into the outbox: the bot delivers it to Slack. */
  readonly post: (message: RemediationMessage) => Promise<void>;
  /** Every step is audited before it starts and after it ends; no audit, no step (house rule 6). */
  readonly audit: Auditor;
  /** Re-probes the node the run was about, after the last step. */
  readonly diagnose: (node: string) => Promise<DiagnosisReport>;
  readonly runNode: (runId: string) => Promise<string | undefined>;
  readonly newPlanId: () => string;
  /** Drains and deletes a node through the Kubernetes API; undefined when no kubeconfig is configured. */
  readonly drain?: ((node: string) => Promise<DrainOutcome>) | undefined;
  readonly now: () => number;
  readonly isoNow: () => string;
  /** Lease and start-window timings; DEFAULT_RUN_TIMING when absent (tests shorten them). */
  readonly timing?: RunTiming | undefined;
  /** Aborted when the worker shuts down: the running step finishes, then the run stops at the boundary. */
  readonly stopping?: AbortSignal | undefined;
}

/** Posts one progress line in the run's thread; `seq` keeps each line distinct in the outbox. */
export type Say = (seq: string, text: string) => Promise<void>;
