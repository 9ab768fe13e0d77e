import type { Plan } from '../remediation/plan.js';

/** Evidence a human can check: the command that ran on which node, and the lines of its output that matter. */
export interface Evidence {
  readonly node: string;
  readonly command: string;
  readonly lines: readonly string[];
  readonly note?: string | undefined;
}

export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** One observation, e.g. "node-3 can ping cp-1". Failing checks are the symptoms findings explain. */
export interface Check {
  readonly id: string;
  readonly node: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly evidence: readonly Evidence[];
}

export type Confidence = 'high' | 'medium' | 'low';

export interface Finding {
  /** A catalog id from DESIGN.md. */
  readonly id: string;
  /** The node where the fault is (may differ from the node asked about). */
  readonly node: string;
  readonly cause: string;
  readonly evidence: readonly Evidence[];
  readonly confidence: Confidence;
  /** Check ids (`<check>@<node>`) this finding explains. */
  readonly explainsChecks: readonly string[];
  /** Catalog ids of other findings this one explains (they are folded under it). */
  readonly explainsFindings: readonly string[];
  /** What fixing it looks like (DESIGN.md fix column); remediation plans come later and run only on approval. */
  readonly fix: string;
  /** Structured data a runbook needs to fix exactly this (the offending rule, the file…); absent when no safe fix is known. */
  readonly remedy?: Remedy | undefined;
}

export type Remedy =
  | {
      readonly kind: 'delete-iptables-rules';
      readonly node: string;
      readonly rules: readonly { readonly table: string; readonly line: string }[];
    }
  | { readonly kind: 'set-sysctl'; readonly node: string; readonly key: string; readonly value: string }
  | { readonly kind: 'move-cni-config'; readonly node: string; readonly file: string }
  /**
   * Re-initialise the control plane with the cluster's pod network and re-apply Flannel: the fix when
   * the cluster was initialised without --pod-network-cidr, so no node ever gets a podCIDR.
   */
  | {
      readonly kind: 'reinit-control-plane';
      readonly node: string;
      readonly podNetworkCidr: string;
    }
  /** Reset a worker's Kubernetes/CNI state and rejoin it; `uplink` restores the node-network route the overlay hijacked. */
  | {
      readonly kind: 'reset-worker';
      readonly node: string;
      readonly controlPlane: string;
      readonly uplink:
        | { readonly iface: string; readonly address: string; readonly prefixlen: number }
        | undefined;
    };

export interface RootCause extends Finding {
  readonly folded: readonly Finding[];
  readonly explainedChecks: readonly Check[];
}

export type Verdict = 'healthy' | 'faulty' | 'unknown';

export interface NodeReport {
  readonly node: string;
  readonly verdict: Verdict;
  /** One sentence for the parent message and notifications. */
  readonly headline: string;
  readonly rootCauses: readonly RootCause[];
  /** Failing checks no finding explains: shown, never hidden. */
  readonly unexplained: readonly Check[];
  /** Checks that could not be made. */
  readonly unknowns: readonly Check[];
  readonly checks: readonly Check[];
  readonly notes: readonly string[];
  readonly durationMs: number;
  readonly collectedAt: string;
  /** The fix on offer, attached by the worker after diagnosis (runs only on approval). */
  readonly plan?: Plan | undefined;
}

export const checkKey = (c: Pick<Check, 'id' | 'node'>): string => `${c.id}@${c.node}`;

export function makeCheck(
  id: string,
  node: string,
  title: string,
  status: CheckStatus,
  detail: string,
  evidence: Evidence[],
): Check {
  return { id, node, title, status, detail, evidence };
}
