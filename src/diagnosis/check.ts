import type { CheckId, CheckKind, CheckRef } from './check-id.js';
import type { Evidence } from './evidence.js';

export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** One observation, e.g. "node-3 can ping cp-1". Failing checks are the symptoms findings explain. */
export interface Check {
  readonly id: CheckId;
  readonly kind: CheckKind;
  readonly node: string;
  /** Set on per-peer checks: the peer node's name, or the overlay address pinged. */
  readonly peer?: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly evidence: readonly Evidence[];
}

/** A per-peer check, as CheckIndex.ofKind returns them. */
export type PeerCheck = Check & { readonly peer: string };

export function makeCheck(
  ref: CheckRef,
  title: string,
  status: CheckStatus,
  detail: string,
  evidence: Evidence[],
): Check {
  const { kind, id, node, peer } = ref;
  return { id, kind, node, ...(peer === undefined ? {} : { peer }), title, status, detail, evidence };
}
