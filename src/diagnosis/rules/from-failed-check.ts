import { type CatalogId, catalogEntry } from '../catalog.js';
import { checkKey, checkRef, type NodeCheckKind } from '../check-id.js';
import type { FactView } from '../fact-view.js';
import type { Remedy } from '../remedy.js';
import type { Rule } from './rule.js';

export interface FromCheckOptions {
  /** The check on the target whose failure is the decisive evidence. */
  readonly check: NodeCheckKind;
  readonly cause: (node: string, detail: string) => string;
  readonly explainsFindings?: readonly CatalogId[];
  readonly remedy?: (view: FactView, node: string) => Remedy | undefined;
}

/** A rule whose decisive evidence is one failed check on the target. */
export function fromFailedCheck(id: CatalogId, opts: FromCheckOptions): Rule {
  return {
    id,
    evaluate(view, checks) {
      const target = view.target.name;
      const failed = checks.get(checkRef(opts.check, target));
      if (failed?.status !== 'fail') return [];
      return [
        {
          id,
          node: target,
          cause: opts.cause(target, failed.detail),
          evidence: failed.evidence,
          confidence: 'high',
          explainsChecks: [checkKey(failed)],
          explainsFindings: [...(opts.explainsFindings ?? [])],
          fix: catalogEntry(id).fix,
          remedy: opts.remedy?.(view, target),
        },
      ];
    },
  };
}
