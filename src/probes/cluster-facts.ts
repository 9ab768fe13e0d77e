import type { NodeRole } from '../config/inventory-schema.js';
import type { KubeFacts } from '../kube/kube-facts.js';
import type { SshErrorCode } from '../ssh/ssh-error.js';
import type { NetworkWaits } from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';

/** Whether netcheck could open SSH to a node; a failure is a fact the diagnosis reasons about. */
export type ConnectionFact =
  | { readonly ok: true; readonly durationMs: number }
  | { readonly ok: false; readonly code: SshErrorCode; readonly detail: string };

export interface NodeFacts {
  readonly name: string;
  readonly role: NodeRole;
  readonly host: string;
  readonly connection: ConnectionFact;
  /** Raw probe outputs keyed by probe key; parsing happens in diagnosis, so recorded facts stay replayable. */
  readonly outputs: Readonly<Record<string, ProbeOutput>>;
  /**
   * The waits its network probes had (probes/probe-deadline.ts), when shorter than the fixed
   * ones, and the probes run again with the fixed waits because the evidence did not decide them.
   * Absent in facts recorded before waits were derived, and when there was no evidence.
   */
  readonly waits?: NetworkWaits & {
    readonly rerun: readonly string[];
    /** The waits the rerun had; absent: today's fixed ones (or nothing ran again). */
    readonly rerunWaits?: NetworkWaits;
  };
}

/** Everything one probe run learnt. Plain data: it can be stored, recorded as a fixture and replayed. */
export interface ClusterFacts {
  readonly target: string;
  readonly controlPlane: string;
  readonly podNetworkCidr: string;
  readonly apiServer: { readonly url: string; readonly host: string; readonly port: number };
  readonly nodes: Readonly<Record<string, NodeFacts>>;
  /** Every inventory node (name, host, role), probed or not: rules need peers' addresses. */
  readonly inventory: readonly { readonly name: string; readonly host: string; readonly role: NodeRole }[];
  readonly kube: KubeFacts;
  readonly collectedAt: string;
  readonly durationMs: number;
}
