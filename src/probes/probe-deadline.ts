import type { ProbeOutput } from './probe-output.js';
import { PROBE, splitPeerProbeKey } from './probe-registry.js';

/**
 * How long a network probe waits for an answer, from what the node's own round trips show.
 *
 * Today's fixed waits (ping's `-W 1`, a 2 s TCP connect) are the ceiling: on a LAN an answer takes
 * well under a millisecond, so a dropped packet cost a faulty node a second or two for nothing.
 * The deadline is RTT_FACTOR times the slowest round trip seen (SSH to the node, or probes of the
 * node that did answer), never below the floor (a busy node needs time to start the tool and
 * schedule the reply) and never above the ceiling. Without any evidence the ceiling applies, as before.
 */
export const RTT_FACTOR = 4;
/** Below this a probe is never cut: process start and scheduling on a loaded node, not the network. */
export const DEADLINE_FLOOR_MS = 300;
/** Today's fixed waits: ping's `-W 1`; the TCP checks' 2 s connect (curl's --connect-timeout, Perl's alarm). */
export const PING_CEILING_MS = 1000;
export const CONNECT_CEILING_MS = 2000;

/** The deadline for one kind of wait, given the slowest round trip seen (undefined: no evidence). */
export function probeDeadline(
  rttMs: number | undefined,
  ceilingMs: number,
  floorMs = DEADLINE_FLOOR_MS,
): number {
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return ceilingMs;
  return Math.min(ceilingMs, Math.max(floorMs, Math.ceil(RTT_FACTOR * rttMs)));
}

/** The waits a bundle's network probes get; undefined fields keep the probe's own fixed wait. */
export interface NetworkWaits {
  readonly pingMs: number;
  readonly connectMs: number;
}

/** Both waits from one round-trip estimate; undefined when there is no evidence (fixed waits). */
export function networkWaits(rttMs: number | undefined): NetworkWaits | undefined {
  if (rttMs === undefined) return undefined;
  return {
    pingMs: probeDeadline(rttMs, PING_CEILING_MS),
    connectMs: probeDeadline(rttMs, CONNECT_CEILING_MS),
  };
}

/** An SSH handshake is at least three round trips (version, key exchange, authentication). */
export const HANDSHAKE_ROUND_TRIPS = 3;

/**
 * What a probe key reaches: the peer of a per-peer key (`ping-node:node-1`, `overlay-ping:10.244.1.0`),
 * the control plane for the two probes that go there, else the key itself (its own destination).
 */
export function probeDestination(key: string): string {
  if (key === PROBE.pingControlPlane || key === PROBE.httpsApiServer) return 'control-plane';
  return splitPeerProbeKey(key)?.peer ?? key;
}

/**
 * The round trips a bundle's answered network probes show: per destination the fastest answer
 * (every answer's duration, over the round trips it needs, bounds that path's round trip from
 * above, tool start included), and
 * the node's scale, the slowest of those paths. A probe "answered" when its tool succeeded
 * (exit 0: a reply, a connection); failures are no evidence of a round trip.
 */
export interface RoundTripEvidence {
  readonly byDestination: ReadonlyMap<string, number>;
  /** undefined: nothing answered. */
  readonly scaleMs: number | undefined;
}

/**
 * Round trips an answered probe made at least, one after another: the HTTPS check's TCP handshake,
 * TLS handshake and request (a ping's reply and a TCP connect are one).
 */
const ROUND_TRIPS_IN_ANSWER: Readonly<Record<string, number>> = { [PROBE.httpsApiServer]: 3 };

export function roundTripEvidence(outputs: readonly ProbeOutput[]): RoundTripEvidence {
  const byDestination = new Map<string, number>();
  for (const o of outputs) {
    if (o.exitCode !== 0 || o.timedOut || !Number.isFinite(o.durationMs)) continue;
    const dest = probeDestination(o.probe);
    const rtt = o.durationMs / (ROUND_TRIPS_IN_ANSWER[o.probe] ?? 1);
    byDestination.set(dest, Math.min(byDestination.get(dest) ?? Number.POSITIVE_INFINITY, rtt));
  }
  const all = [...byDestination.values()];
  return { byDestination, scaleMs: all.length > 0 ? Math.max(...all) : undefined };
}

/**
 * The network probes of a bundle whose "no answer" the evidence does not decide: each ran until
 * a cut (it waited at least the shorter wait it was given, less a scheduling margin) without an
 * answer, and the round trips of the same bundle (to the same destination, else the node's scale)
 * call for a longer wait than it had, or nothing in the bundle answered at all. These run again
 * with today's fixed waits, so a slow but healthy path is never reported as blocked.
 */
export function undecidedProbes(
  outputs: readonly ProbeOutput[],
  isNetwork: (key: string) => boolean,
  waits: NetworkWaits,
): string[] {
  const network = outputs.filter((o) => isNetwork(o.probe));
  const evidence = roundTripEvidence(network);
  const shorter = Math.min(waits.pingMs, waits.connectMs);
  const undecided: string[] = [];
  for (const o of network) {
    if (o.exitCode === 0) continue;
    // Failed before any cut (refused, no route, message too long): decided by the tool itself.
    if (o.durationMs < 0.8 * shorter && !o.timedOut) continue;
    const rtt = evidence.byDestination.get(probeDestination(o.probe)) ?? evidence.scaleMs;
    // Both waits come from one estimate (the ping wait is the connect wait, capped at ping's ceiling).
    if (rtt === undefined || probeDeadline(rtt, CONNECT_CEILING_MS) > waits.connectMs)
      undecided.push(o.probe);
  }
  return undecided;
}

/** The worker's deadline for each Kubernetes API call (roles/worker.ts): the ceiling of the first one's wait. */
export const KUBE_CEILING_MS = 3000;
/** A fresh process's first API call also sets up TLS and the client: never cut below this. */
export const KUBE_FLOOR_MS = 500;

/**
 * How long to wait for the API server's node list, from the start of the call: RTT_FACTOR times
 * the slowest evidence (an earlier whole fetch of this process; a third of the SSH handshake with
 * the control plane, where the API server usually is), between KUBE_FLOOR_MS and the ceiling.
 */
export function kubeWait(
  kubeFetchMs: number | undefined,
  controlPlaneHandshakeMs: number | undefined,
): number {
  const seen = [
    kubeFetchMs,
    controlPlaneHandshakeMs === undefined ? undefined : controlPlaneHandshakeMs / HANDSHAKE_ROUND_TRIPS,
  ].filter((v): v is number => v !== undefined);
  return probeDeadline(seen.length > 0 ? Math.max(...seen) : undefined, KUBE_CEILING_MS, KUBE_FLOOR_MS);
}
