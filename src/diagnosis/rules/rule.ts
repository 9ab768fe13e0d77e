import type { CatalogId } from '../catalog.js';
import type { CheckIndex } from '../check-index.js';
import type { FactView } from '../fact-view.js';
import type { Finding } from '../finding.js';

/** A diagnosis rule: data (its catalog id) plus a pure function of recorded facts. No I/O, no clock. */
export interface Rule {
  readonly id: CatalogId;
  evaluate(view: FactView, checks: CheckIndex): Finding[];
}
