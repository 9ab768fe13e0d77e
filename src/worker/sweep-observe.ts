import type { DiagnosisReport } from '../diagnosis/diagnosis-report.js';
import type { RootCause } from '../diagnosis/finding.js';
import type { ProblemRecord } from '../store/sweep-state-store.js';
import type { Observation } from './sweep-flap.js';

/** One swept node: its report, or undefined when the diagnosis itself failed. */
export interface SweptNode {
  readonly node: string;
  readonly report: DiagnosisReport | undefined;
}

/** A problem one sweep saw, with a report narrowed to it (what its message shows). */
export interface SeenProblem {
  readonly key: string;
  readonly observation: Extract<Observation, { kind: 'seen' }>;
  readonly report: DiagnosisReport;
}

/** Faults that hide every other fact about the node: its other problems were not looked at. */
const BLINDING = new Set(['node-unreachable', 'host-key-mismatch']);

export const problemKey = (node: string, causeId: string) => `${node}/${causeId}`;

/** What makes a problem the same problem: its id, node and exactly what its fix would act on. */
const fingerprint = (cause: RootCause) => JSON.stringify([cause.id, cause.node, cause.remedy ?? null]);

/**
 * What a sweep saw (pure): every root cause of every report as a problem keyed by the node it is on
 * and its catalog id (a cause on cp-1 found from node-3 is cp-1's problem, seen once however many
 * reports show it), and for each problem known before, whether it was looked for and not found.
 * `swept` is every node the sweep was to look at (a zone's sweep: its zone's nodes); a problem is
 * absent only if the nodes of `swept` that showed it (at least one) and its node, when it is one
 * of them, were reached. Another zone's problem is left out: unobserved there, never absent.
 */
export function observeSweep(
  swept: readonly SweptNode[],
  known: readonly ProblemRecord[],
): {
  readonly seen: ReadonlyMap<string, SeenProblem>;
  readonly observations: ReadonlyMap<string, Observation>;
} {
  const reached = new Set(
    swept
      .filter((s) => s.report && !s.report.rootCauses.some((c) => BLINDING.has(c.id) && c.node === s.node))
      .map((s) => s.node),
  );
  const seen = new Map<string, SeenProblem>();
  for (const { node, report } of swept) {
    for (const cause of report?.rootCauses ?? []) {
      const key = problemKey(cause.node, cause.id);
      const earlier = seen.get(key);
      if (earlier) {
        const via = [...earlier.observation.seenVia, node];
        // The node's own report is the one shown when there is one.
        const own = cause.node === node ? narrowed(report!, cause) : earlier.report;
        seen.set(key, { ...earlier, report: own, observation: { ...earlier.observation, seenVia: via } });
        continue;
      }
      const focused = narrowed(report!, cause);
      seen.set(key, {
        key,
        report: focused,
        observation: {
          kind: 'seen',
          node: cause.node,
          causeId: cause.id,
          fingerprint: fingerprint(cause),
          headline: focused.headline,
          seenVia: [node],
        },
      });
    }
  }
  // The nodes this sweep was to look at: a zone's sweep, that zone's nodes (docs/architecture.md).
  const scope = new Set(swept.map((s) => s.node));
  const observations = new Map<string, Observation>();
  for (const [key, problem] of seen) observations.set(key, problem.observation);
  for (const record of known) {
    if (seen.has(record.key)) continue;
    // Only where it was seen, as far as this sweep looks: another zone's view is that zone's to judge.
    const via = record.seenVia.filter((n) => scope.has(n));
    // Another zone's problem: not looked for here, so neither absent nor touched.
    if (via.length === 0 && !scope.has(record.node)) continue;
    const lookedFor =
      via.length > 0 &&
      via.every((n) => reached.has(n)) &&
      (!scope.has(record.node) || reached.has(record.node));
    observations.set(record.key, { kind: lookedFor ? 'absent' : 'unobserved' });
  }
  return { seen, observations };
}

/** The report as it concerns one root cause: its headline, evidence and fix, nothing else. */
function narrowed(report: DiagnosisReport, cause: RootCause): DiagnosisReport {
  return {
    ...report,
    node: cause.node,
    verdict: 'faulty',
    headline: report.rootCauses.length === 1 ? report.headline : cause.cause,
    rootCauses: [cause],
    unexplained: [],
    unknowns: [],
  };
}
