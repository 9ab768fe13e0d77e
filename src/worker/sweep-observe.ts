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
 * Only the problems on `owned` nodes (a zone's sweep: its zone's nodes) count: one on another
 * zone's node is that zone's sweeps' to see, announce and resolve, so here it is neither seen nor
 * absent, whatever the reports say (docs/architecture.md, "Scheduled sweeps").
 */
export function observeSweep(
  swept: readonly SweptNode[],
  known: readonly ProblemRecord[],
  owned: ReadonlySet<string>,
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
      if (!owned.has(cause.node)) continue;
      const key = problemKey(cause.node, cause.id);
      const earlier = seen.get(key);
      if (earlier) {
        const via = [...earlier.observation.seenVia, node];
        // The node's own report is the one shown when there is one, and its finding is the
        // problem's fingerprint (a peer's report sees the same fault without the node's plan),
        // whichever order the reports came in.
        if (cause.node === node) {
          const own = narrowed(report!, cause);
          const observation = {
            ...earlier.observation,
            fingerprint: fingerprint(cause),
            headline: own.headline,
            seenVia: via,
          };
          seen.set(key, { ...earlier, report: own, observation });
        } else seen.set(key, { ...earlier, observation: { ...earlier.observation, seenVia: via } });
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
  const observations = new Map<string, Observation>();
  for (const [key, problem] of seen) observations.set(key, problem.observation);
  for (const record of known) {
    if (seen.has(record.key) || !owned.has(record.node)) continue;
    // A record from before zones may have been seen from another zone's node: not ours to reach.
    const lookedFor =
      reached.has(record.node) && record.seenVia.filter((n) => owned.has(n)).every((n) => reached.has(n));
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
