import type { Check, PeerCheck } from './check.js';
import { type CheckKey, type CheckRef, checkKey, type PeerCheckKind } from './check-id.js';

/** The checks of one diagnosis, looked up by reference (see checkRef). */
export class CheckIndex {
  private readonly byKey: Map<CheckKey, Check>;

  constructor(readonly all: readonly Check[]) {
    this.byKey = new Map(all.map((c) => [checkKey(c), c]));
  }

  get(ref: CheckRef): Check | undefined {
    return this.byKey.get(ref.key);
  }

  failed(ref: CheckRef): boolean {
    return this.get(ref)?.status === 'fail';
  }

  passed(ref: CheckRef): boolean {
    return this.get(ref)?.status === 'pass';
  }

  /** The failed per-peer checks of one kind on a node, in report order. */
  failedOfKind(kind: PeerCheckKind, node: string): PeerCheck[] {
    return this.all.filter(
      (c): c is PeerCheck =>
        c.node === node && c.kind === kind && c.peer !== undefined && c.status === 'fail',
    );
  }
}
