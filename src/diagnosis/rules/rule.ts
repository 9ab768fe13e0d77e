import type { FactView } from '../fact-view.js';
import { type Check, checkKey, type Finding, type Remedy } from '../node-report.js';

export class CheckIndex {
  private readonly byKey: Map<string, Check>;

  constructor(readonly all: readonly Check[]) {
    this.byKey = new Map(all.map((c) => [checkKey(c), c]));
  }

  get(id: string, node: string): Check | undefined {
    return this.byKey.get(`${id}@${node}`);
  }

  failed(id: string, node: string): boolean {
    return this.get(id, node)?.status === 'fail';
  }

  passed(id: string, node: string): boolean {
    return this.get(id, node)?.status === 'pass';
  }
}

/** A diagnosis rule: data (id) plus a pure function of recorded facts. No I/O, no clock. */
export interface Rule {
  readonly id: string;
  evaluate(view: FactView, checks: CheckIndex): Finding[];
}

export interface FromCheckOptions {
  /** Check id (exact, or a prefix ending in ':' for per-peer checks). */
  readonly check: string;
  readonly cause: (node: string, detail: string) => string;
  readonly explainsFindings?: readonly string[];
  readonly alsoExplains?: (checks: CheckIndex, node: string) => string[];
  readonly remedy?: (view: FactView, node: string) => Remedy | undefined;
}

/** A rule whose decisive evidence is one failed check on the target. */
export function fromFailedCheck(id: string, fix: () => string, opts: FromCheckOptions): Rule {
  return {
    id,
    evaluate(view, checks) {
      const target = view.target.name;
      const failed = checks.get(opts.check, target);
      if (failed?.status !== 'fail') return [];
      return [
        {
          id,
          node: target,
          cause: opts.cause(target, failed.detail),
          evidence: failed.evidence,
          confidence: 'high',
          explainsChecks: [`${opts.check}@${target}`, ...(opts.alsoExplains?.(checks, target) ?? [])],
          explainsFindings: [...(opts.explainsFindings ?? [])],
          fix: fix(),
          remedy: opts.remedy?.(view, target),
        },
      ];
    },
  };
}
