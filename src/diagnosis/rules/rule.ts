import type { FactView } from '../fact-view.js';
import { type Check, checkKey, type Finding } from '../node-report.js';

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
