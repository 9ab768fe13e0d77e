import { HANDSHAKE_ROUND_TRIPS, type RoundTripEstimate, roundTripEvidence } from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * What a worker has seen of each node's round trips, in memory: its SSH handshake (at least three
 * round trips, so a third of it bounds one from above; whole, the time a fresh node takes to start
 * a tool) and the slowest path its last bundle's answered network probes showed. Nothing here is
 * persisted: a fresh process starts from the SSH handshake it has to do anyway.
 */
export class RoundTrips {
  private readonly learnt = new Map<string, RoundTripEstimate>();

  /** The round trip (and answered probe run) to expect from `node`, or undefined when nothing has been seen. */
  estimate(node: string, handshakeMs: number | undefined): RoundTripEstimate | undefined {
    const learnt = this.learnt.get(node);
    if (handshakeMs === undefined) return learnt;
    const fromSsh = handshakeMs / HANDSHAKE_ROUND_TRIPS;
    // Before any of the node's tools has been seen to run, the handshake stands for how long the
    // node takes to start one now: it had the node start a session (and do the key exchange's
    // work), which on a busy node is most of a handshake, and most of a ping's run.
    return { rttMs: Math.max(fromSsh, learnt?.rttMs ?? 0), toolMs: learnt?.toolMs ?? handshakeMs };
  }

  /** Keeps the scale of a bundle's answered network probes; a bundle where nothing answered teaches nothing. */
  learn(node: string, networkOutputs: readonly ProbeOutput[]): void {
    const { scale } = roundTripEvidence(networkOutputs);
    if (scale !== undefined) this.learnt.set(node, scale);
  }
}
