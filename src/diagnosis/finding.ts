import type { CatalogId } from './catalog.js';
import type { Check } from './check.js';
import type { CheckKey } from './check-id.js';
import type { Evidence } from './evidence.js';
import type { Remedy } from './remedy.js';

export type Confidence = 'high' | 'medium' | 'low';

export interface Finding {
  /** A catalog id from DESIGN.md. */
  readonly id: CatalogId;
  /** The node where the fault is (may differ from the node asked about). */
  readonly node: string;
  readonly cause: string;
  readonly evidence: readonly Evidence[];
  readonly confidence: Confidence;
  /** The checks this finding explains (built with checkRef, never spelt by hand). */
  readonly explainsChecks: readonly CheckKey[];
  /** Catalog ids of other findings this one explains (they are folded under it). */
  readonly explainsFindings: readonly CatalogId[];
  /** What fixing it looks like (DESIGN.md fix column); remediation plans come later and run only on approval. */
  readonly fix: string;
  /** Structured data a runbook needs to fix exactly this (the offending rule, the file…); absent when no safe fix is known. */
  readonly remedy?: Remedy | undefined;
  /**
   * The firewall rules or policies (their ids) a firewall finding blames. Two findings blaming the
   * very same ones are one cause seen through two kinds of traffic (a default-deny policy stops
   * 6443 and VXLAN alike): the lower-ranked is folded under the other.
   */
  readonly blames?: readonly string[] | undefined;
}

/** A finding shown at the top level, with what it explains folded under it. */
export interface RootCause extends Finding {
  readonly folded: readonly Finding[];
  readonly explainedChecks: readonly Check[];
}
