import type { ExecutorDeps } from './executor-deps.js';
import type { Plan } from './plan.js';

export type CauseRecheck =
  | { readonly holds: true; readonly runNode: string }
  | {
      readonly holds: false;
      readonly runNode: string;
      /** What the node shows now, for the thread; nothing from the node is interpreted. */
      readonly found: string;
      readonly causes: readonly string[];
    };

/**
 * Probes the node the run was about again and says whether the plan's root cause (its catalog id)
 * still holds. Run before a plan's first destructive step: an approval was given for the facts of
 * the original diagnosis, and a node that has changed since (fixed by hand, a different fault now)
 * must not be reset on old facts.
 */
export async function recheckCause(
  deps: Pick<ExecutorDeps, 'diagnose' | 'runNode'>,
  plan: Plan,
): Promise<CauseRecheck> {
  const runNode = (await deps.runNode(plan.runId)) ?? plan.node;
  try {
    const report = await deps.diagnose(runNode);
    const causes = report.rootCauses.map((c) => c.id);
    if (causes.some((id) => id === plan.causeId)) return { holds: true, runNode };
    return { holds: false, runNode, found: report.headline, causes };
  } catch (error) {
    // Not knowing is not "still holds": nothing destructive runs on a node that could not be looked at.
    return { holds: false, runNode, found: `no answer (${(error as Error).message})`, causes: [] };
  }
}
