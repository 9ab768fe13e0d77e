import type { Check } from './check.js';
import type { RootCause } from './finding.js';

export type Verdict = 'healthy' | 'faulty' | 'unknown';

/** What diagnosis concludes about one node from recorded facts. It knows nothing of fix plans. */
export interface DiagnosisReport {
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
}
