import type { InventoryNode } from '../config/inventory-schema.js';
import type { RemoteCommand } from '../ssh/remote-command.js';
import type { PeerProbeKey, ProbeKey } from './probe-registry.js';

/** One probe as planned on one node: its key, its command with the inventory's values filled in, its budget. */
export interface PlannedProbe {
  readonly key: ProbeKey | PeerProbeKey;
  readonly command: RemoteCommand;
  /** Per-probe budget: a dropped packet costs its own timeout, nothing else waits on it. */
  readonly timeoutMs: number;
  /** A local read that cannot wait on the network: run in sequence with the other quick ones. */
  readonly quick?: boolean;
  /**
   * A network probe whose tools end their own wait (ping, curl, the Perl checks; probe-bundle.ts's
   * network tools): it needs no `timeout` and shell of its own. Any other runs under `timeout`.
   */
  readonly selfTimed?: boolean;
  /**
   * Probes of the same bundle whose output this one may stand for with a `SAME <key>` line (its tool
   * is the very file theirs is: probe-bundle.ts's sameAs). Any other `SAME` line is output as it is.
   */
  readonly sameAs?: readonly string[];
  /**
   * A quick read's usual CPU relative to the others' (probe-registry.ts): the bundle spreads its
   * quick reads over lanes by it, so that no lane ends long after the rest. Unset counts as 1.
   */
  readonly cost?: number;
}

export interface OverlayPingSpec {
  /** At most this many overlay peers are pinged (the inventory's node count bounds it). */
  readonly maxPeers: number;
  readonly timeoutMs: number;
}

/** What runs on one node for one diagnosis. */
export interface NodePlan {
  readonly node: InventoryNode;
  readonly probes: readonly PlannedProbe[];
  /** Overlay pings to every peer's flannel.1 address, found on the node itself from its routes. */
  readonly overlay?: OverlayPingSpec;
}
