import { HANDSHAKE_ROUND_TRIPS, roundTripEvidence } from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * What a worker has seen of each node's round trips, in memory: its SSH handshake (at least three
 * round trips, so a third of it bounds one from above) and the slowest path its last bundle's
 * answered network probes showed. Nothing here is persisted: a fresh process starts from the SSH
 * handshake it has to do anyway.
 */
export class RoundTrips {
  private readonly learnt = new Map<string, number>();

  /** The round trip to expect from `node` (ms), or undefined when nothing has been seen. */
  estimate(node: string, handshakeMs: number | undefined): number | undefined {
    const fromSsh = handshakeMs === undefined ? undefined : handshakeMs / HANDSHAKE_ROUND_TRIPS;
    const seen = [fromSsh, this.learnt.get(node)].filter((v): v is number => v !== undefined);
    return seen.length > 0 ? Math.max(...seen) : undefined;
  }

  /** Keeps the scale of a bundle's answered network probes; a bundle where nothing answered teaches nothing. */
  learn(node: string, networkOutputs: readonly ProbeOutput[]): void {
    const { scaleMs } = roundTripEvidence(networkOutputs);
    if (scaleMs !== undefined) this.learnt.set(node, scaleMs);
  }
}
