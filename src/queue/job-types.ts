import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { PreflightResult } from '../diagnosis/preflight-result.js';
import type { Plan } from '../remediation/plan.js';
import type { RemediationMessage } from '../remediation/remediation-message.js';
import type { SweepMessage } from './sweep-message.js';

/**
 * A node's diagnosis with the fix on offer, attached by the worker after diagnosis (it runs only on
 * approval): what crosses Redis to the bot and is rendered in Slack.
 */
export interface NodeReport extends DiagnosisReport {
  readonly plan?: Plan | undefined;
}

/**
 * A `/netcheck` the bot accepted, as it enters the command intake (command-intake.ts). Only
 * inventory-validated values travel here, except `text`, which is kept (cut) for the audit log.
 */
export interface CommandRequest {
  readonly runId: string;
  readonly node: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly requestedAt: string;
  readonly text: string;
  /** `preflight`: `/netcheck preflight <node>` (a node about to join); absent: diagnose the node. */
  readonly kind?: JobKind | undefined;
}

/** What a probe job does besides the default diagnosis. */
export type JobKind = 'preflight';

/** What the bot asks a worker to do. Only inventory-validated values travel here. */
export interface ProbeJobData {
  readonly runId: string;
  readonly node: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly requestedAt: string;
  /** `preflight`: check a node before it joins (worker/preflight-run.ts); absent: diagnose it. */
  readonly kind?: JobKind | undefined;
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
  /** `/netcheck preflight`: the pass/fail table in the thread, then the parent's one-line outcome. */
  | { readonly kind: 'preflight'; readonly runId: string; readonly result: PreflightResult }
  | { readonly kind: 'preflight-verdict'; readonly runId: string; readonly text: string }
  | RemediationMessage
  | SweepMessage;

export interface RemediationJobData {
  readonly planId: string;
  readonly hash: string;
}

export const QUEUE_NAMES = { probe: 'probe', outbox: 'outbox', remediation: 'remediation' } as const;
