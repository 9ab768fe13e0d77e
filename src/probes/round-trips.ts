import { pingWaitsInTool } from './ping-flavor.js';
import {
  HANDSHAKE_ROUND_TRIPS,
  measuredRoundTrips,
  type RoundTripEstimate,
  roundTripEvidence,
} from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';

/**
 * What a worker has seen of each node's round trips, in memory: its SSH handshake (at least three
 * round trips, so a third of it bounds one from above; whole, the time a fresh node takes to start
 * a tool), the slowest path its last bundle's answered network probes showed, and whether its ping
 * keeps a wait of a fraction of a second itself. Nothing here is persisted: a fresh process starts
 * from the SSH handshake it has to do anyway, and asks the node's ping once.
 */
export class RoundTrips {
  private readonly learnt = new Map<string, RoundTripEstimate>();
  private readonly pings = new Map<string, { inTool: boolean; handshakeMs: number | undefined }>();

  /** The round trip (and answered probe run) to expect from `node`, or undefined when nothing has been seen. */
  estimate(
    node: string,
    handshakeMs: number | undefined,
    connectRttMs?: number,
  ): RoundTripEstimate | undefined {
    const learnt = this.learnt.get(node);
    if (handshakeMs === undefined) return learnt;
    const measured = learnt?.measuredRttMs ?? connectRttMs;
    const fromSsh = handshakeMs / HANDSHAKE_ROUND_TRIPS;
    // Before any of the node's tools has been seen to run, the handshake stands for how long the
    // node takes to start one now: it had the node start a session (and do the key exchange's
    // work), which on a busy node is most of a handshake, and most of a ping's run.
    return {
      rttMs: Math.max(fromSsh, learnt?.rttMs ?? 0),
      toolMs: learnt?.toolMs ?? handshakeMs,
      // Measured by the node's tools, else the TCP connect of the SSH connection: a round trip
      // to the node from here, as the kernels saw it (the path to its peers is usually the same
      // network; a bundle's own answers correct it, undecided-probes.ts).
      ...(measured === undefined ? {} : { measuredRttMs: measured }),
    };
  }

  /** Keeps the scale of a bundle's answered network probes; a bundle where nothing answered teaches nothing. */
  learn(node: string, networkOutputs: readonly ProbeOutput[]): void {
    const { scale } = roundTripEvidence(networkOutputs);
    if (scale === undefined) return;
    const measured = measuredRoundTrips(networkOutputs).scale?.rttMs;
    this.learnt.set(node, measured === undefined ? scale : { ...scale, measuredRttMs: measured });
  }

  /**
   * Whether `node`'s ping ends its own wait at a fraction of a second (ping-flavor.ts), as asked
   * over the node's current SSH connection (its handshake time tells one from the next: a node
   * reinstalled or whose sshd restarted is asked again); undefined: not asked yet.
   */
  pingInTool(node: string, handshakeMs: number | undefined): boolean | undefined {
    const seen = this.pings.get(node);
    return seen && seen.handshakeMs === handshakeMs ? seen.inTool : undefined;
  }

  /** Keeps what the node's `ping -V` said; an output that says nothing either way is asked again. */
  learnPing(node: string, output: ProbeOutput | undefined, handshakeMs: number | undefined): void {
    const inTool = pingWaitsInTool(output);
    if (inTool !== undefined) this.pings.set(node, { inTool, handshakeMs });
  }
}
