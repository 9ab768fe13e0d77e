import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { MeshAnalysis } from '../diagnosis/mesh/mesh-analysis.js';
import type { MeshMatrix, MeshNode } from '../diagnosis/mesh/mesh-matrix.js';
import type { PreflightResult } from '../diagnosis/preflight-result.js';
import type { MeshPeer, MeshProbe } from '../probes/mesh-targets.js';
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
  /** `/netcheck mesh [nodes…]`: the inventory-validated nodes of the mesh (then `node` is "mesh"). */
  readonly mesh?: readonly string[];
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
      /** What the parent says is being checked, when it is not one node (a mesh). */
      readonly label?: string;
    }
  | { readonly kind: 'report'; readonly runId: string; readonly report: NodeReport }
  | { readonly kind: 'verdict'; readonly runId: string; readonly report: NodeReport }
  /** `/netcheck preflight`: the pass/fail table in the thread, then the parent's one-line outcome. */
  | { readonly kind: 'preflight'; readonly runId: string; readonly result: PreflightResult }
  | { readonly kind: 'preflight-verdict'; readonly runId: string; readonly text: string }
  | RemediationMessage
  | SweepMessage
  /** A mesh's analysis in the thread (text for every reader), and the verdict on the parent. */
  | { readonly kind: 'mesh-summary'; readonly runId: string; readonly result: MeshResult }
  /** The mesh's heatmap (PNG) and matrix (CSV), uploaded into the thread. */
  | { readonly kind: 'mesh-files'; readonly runId: string; readonly result: MeshResult };

/** A finished mesh: the matrix and what it says. */
export interface MeshResult {
  readonly matrix: MeshMatrix;
  readonly analysis: MeshAnalysis;
  readonly requestedBy: string;
  /** Display: when the mesh ran (ISO). */
  readonly at: string;
}

/** `/netcheck mesh`, as the bot hands it to a worker: plans the fan-out (addresses, chunks). */
export interface MeshJobData {
  readonly runId: string;
  readonly nodes: readonly string[];
  readonly requestedBy: string;
  readonly channel: string;
  readonly requestedAt: string;
}

/** One chunk of source nodes: each probes every peer (one SSH exec per source). */
export interface MeshProbeJobData {
  readonly runId: string;
  readonly chunk: number;
  /** The sources' zone (all alike): the chunk waits in `mesh-probe@<zone>` for that zone's workers. */
  readonly zone: string | undefined;
  readonly sources: readonly string[];
  readonly peers: readonly MeshPeer[];
  readonly apiServer: { readonly host: string; readonly port: number } | undefined;
  /** Why a peer's overlay cells are unknown (no podCIDR known), shown as their detail. */
  readonly overlayUnknown: string | undefined;
}

/** What a chunk returns: per source, per probe, a row (one letter per node of `nodes`). */
export interface MeshChunkResult {
  readonly rows: Readonly<Record<string, Readonly<Partial<Record<MeshProbe, string>>>>>;
  readonly unreachable: Readonly<Record<string, string>>;
  readonly details: Readonly<Record<string, string>>;
  readonly startedMs: number;
  readonly endedMs: number;
  /** Which worker ran the chunk, for the audit trail (zones: a chunk runs only in its zone). */
  readonly worker?: { readonly id: string; readonly zone: string | undefined };
}

/** The mesh's last step, after every chunk: analysis, picture, culprits. */
export interface MeshReportJobData {
  readonly runId: string;
  readonly nodes: readonly MeshNode[];
  readonly requestedBy: string;
  readonly channel: string;
  readonly requestedAt: string;
  /** Sources no chunk was made for (their zone had no live worker at plan time), with why. */
  readonly unserved?: Readonly<Record<string, string>>;
}

export interface RemediationJobData {
  readonly planId: string;
  readonly hash: string;
}

export const QUEUE_NAMES = {
  probe: 'probe',
  outbox: 'outbox',
  remediation: 'remediation',
  mesh: 'mesh',
  /** A mesh's chunk jobs (`mesh-probe@<zone>` per zone); plan and report stay on `mesh`. */
  meshProbe: 'mesh-probe',
} as const;
