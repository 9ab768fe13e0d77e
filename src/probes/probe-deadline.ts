import { parseCurlWriteOut } from './parsers/curl-write-out.js';
import { parseTcpConnect } from './parsers/tcp-connect.js';
import type { ProbeOutput } from './probe-output.js';
import { PROBE, splitPeerProbeKey } from './probe-registry.js';

/**
 * How long a network probe waits for an answer, from what the node's own round trips show.
 *
 * Today's fixed waits (ping's `-W 1`, a 2 s TCP connect) are the ceiling: on a LAN an answer takes
 * well under a millisecond, so a dropped packet cost a faulty node a second or two for nothing.
 * A wait covers RTT_FACTOR times the slowest round trip seen (SSH to the node, the node's answered
 * probes) and TOOL_FACTOR times the slowest answered probe's whole run (starting the tool on a
 * busy node is part of what the wait must cover); never below the floor, never above the ceiling.
 * Without any evidence the ceiling applies, as before.
 */
export const RTT_FACTOR = 4;
export const TOOL_FACTOR = 2;
/**
 * Deciding a cut "no answer" needs less margin than planning the wait did: the cut probe must have
 * had 1.5 times the slowest answered run of its own tool (waits are planned at TOOL_FACTOR, so the
 * run-to-run jitter of a busy node does not send every cut probe round again).
 */
export const DECIDE_TOOL_FACTOR = 1.5;
/** Below this a probe is never cut: process start and scheduling on a loaded node, not the network. */
export const DEADLINE_FLOOR_MS = 200;
/**
 * Below this a tool that keeps its own wait (a recent iputils ping: `pingInTool`; the Perl TCP
 * check and curl's TCP handshake: `tcpMs`) is never cut. That wait starts once the tool has
 * started (ping: its request sent; Perl, curl: the connect begun), and an answer that reached the
 * socket before it ends is counted however late the tool gets the CPU (libcurl, too, looks at the
 * socket before it applies its connect timeout): only the network and the kernel's handling are
 * in it. 100 ms is four round trips of a 25 ms path, and far above a LAN's jitter.
 */
export const IN_TOOL_FLOOR_MS = 100;
/** Today's fixed waits: ping's `-W 1`; the TCP checks' 2 s connect (curl's --connect-timeout, Perl's alarm). */
export const PING_CEILING_MS = 1000;
export const CONNECT_CEILING_MS = 2000;

/**
 * The deadline for one kind of wait, given the slowest round trip seen and, optionally, the
 * slowest answered probe's whole run (undefined round trip: no evidence, the ceiling).
 */
export function probeDeadline(
  rttMs: number | undefined,
  ceilingMs: number,
  floorMs = DEADLINE_FLOOR_MS,
  toolMs = 0,
): number {
  if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return ceilingMs;
  const need = Math.max(RTT_FACTOR * rttMs, Number.isFinite(toolMs) ? TOOL_FACTOR * toolMs : 0);
  return Math.min(ceilingMs, Math.max(floorMs, Math.ceil(need)));
}

/** The waits a bundle's network probes get. */
export interface NetworkWaits {
  readonly pingMs: number;
  readonly connectMs: number;
  /**
   * The node's ping ends its own wait at a fraction of a second (`-W 0.150`: iputils 20210202 and
   * later, ping-flavor.ts): pingMs then counts from the request sent, not from the tool's start.
   */
  readonly pingInTool?: true;
  /**
   * The wait of a TCP handshake timed inside the tool, from the round trip the node's tools
   * measured: the Perl TCP check's (it waits with select() once started: tcp-connect-script.ts),
   * and curl's first try at its connect phase (network-tools.ts, curlTool; TLS, if TCP connected,
   * then gets connectMs). Absent without such a measurement: the Perl check is then cut from
   * outside at connectMs, and curl's connect phase, TLS included, has connectMs.
   */
  readonly tcpMs?: number;
}

/** What the round trips seen say: the slowest network round trip, and the slowest answered probe run. */
export interface RoundTripEstimate {
  readonly rttMs: number;
  readonly toolMs: number;
  /**
   * The slowest path's round trip as the node's tools measured it (ping's own figure, curl's TCP
   * handshake), where one did: no tool start-up and no SSH key exchange in it. A ping that keeps
   * its own wait needs only this (measuredRoundTrips).
   */
  readonly measuredRttMs?: number;
}

/**
 * Both waits from one estimate; undefined when there is no evidence (fixed waits). Where ping keeps
 * its own wait (pingInTool), how long tools take to start does not count for it: only the round trip.
 */
export function networkWaits(
  seen: number | RoundTripEstimate | undefined,
  pingInTool = false,
): NetworkWaits | undefined {
  if (seen === undefined) return undefined;
  const { rttMs, toolMs } = typeof seen === 'number' ? { rttMs: seen, toolMs: 0 } : seen;
  const connectMs = probeDeadline(rttMs, CONNECT_CEILING_MS, DEADLINE_FLOOR_MS, toolMs);
  const measured = typeof seen === 'number' ? undefined : seen.measuredRttMs;
  const tcp = measured === undefined ? {} : { tcpMs: tcpInToolWait(measured) };
  if (pingInTool) return { pingMs: pingInToolWait(measured ?? rttMs), connectMs, pingInTool, ...tcp };
  return { pingMs: probeDeadline(rttMs, PING_CEILING_MS, DEADLINE_FLOOR_MS, toolMs), connectMs, ...tcp };
}

/** The wait of a ping that keeps its own: RTT_FACTOR round trips, between its floor and ping's ceiling. */
export function pingInToolWait(rttMs: number): number {
  return probeDeadline(rttMs, PING_CEILING_MS, IN_TOOL_FLOOR_MS);
}

/** The Perl TCP check's own wait: RTT_FACTOR round trips, between the floor and the connect ceiling. */
export function tcpInToolWait(rttMs: number): number {
  return probeDeadline(rttMs, CONNECT_CEILING_MS, IN_TOOL_FLOOR_MS);
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
 * The round trips a bundle's answered network probes show, per destination the fastest answer:
 * its network round trip (ping's own measurement, or curl's TCP handshake time, where the tool
 * printed one; else the run's duration over the round trips the probe needs, tool start included,
 * an upper bound) and its whole run.
 * The node's scale is the slowest of those paths. A probe "answered" when its tool succeeded
 * (exit 0: a reply, a connection) or a TCP peer refused (see answered); other failures are no
 * evidence of a round trip.
 */
export interface RoundTripEvidence {
  readonly byDestination: ReadonlyMap<string, RoundTripEstimate>;
  /** undefined: nothing answered. */
  readonly scale: RoundTripEstimate | undefined;
}

/**
 * Round trips an answered probe made at least, one after another: the HTTPS check's TCP handshake,
 * TLS handshake and request (a ping's reply and a TCP connect are one).
 */
const ROUND_TRIPS_IN_ANSWER: Readonly<Record<string, number>> = { [PROBE.httpsApiServer]: 3 };

/** ping's summary `rtt min/avg/max/mdev = a/b/c/d ms` (iputils) or `round-trip min/avg/max = a/b/c ms` (busybox). */
function pingRttMs(stdout: string): number | undefined {
  const m = /(?:rtt|round-trip) min\/avg\/max(?:\/mdev)? = [\d.]+\/[\d.]+\/([\d.]+)/.exec(stdout);
  const v = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(v) ? v : undefined;
}

/**
 * curl's own TCP handshake time for a request that succeeded (`%{time_connect}`): the path's round
 * trip without curl's start-up and TLS work, which on a busy node are most of its run.
 */
function curlConnectMs(o: ProbeOutput): number | undefined {
  if (o.probe !== PROBE.httpsApiServer || o.exitCode !== 0) return undefined;
  const s = parseCurlWriteOut(o.stdout).timeConnectS;
  return s !== undefined && Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

export function roundTripEvidence(outputs: readonly ProbeOutput[]): RoundTripEvidence {
  const byDestination = fastestByDestination(outputs);
  // The node's scale leaves out the HTTPS check where anything else answered: its run is mostly
  // curl's start-up and TLS work (300 ms and more on a cold node), which said every other path was
  // slow and sent each cut probe round again. It still speaks for its own destination.
  const lean = fastestByDestination(outputs.filter((o) => !(o.probe in ROUND_TRIPS_IN_ANSWER)));
  const all = [...(lean.size > 0 ? lean : byDestination).values()];
  const scale =
    all.length > 0
      ? { rttMs: Math.max(...all.map((e) => e.rttMs)), toolMs: Math.max(...all.map((e) => e.toolMs)) }
      : undefined;
  return { byDestination, scale };
}

/**
 * roundTripEvidence of the answers whose tool measured the round trip itself (ping's summary, curl's
 * TCP handshake): an upper bound that counts a tool's start-up (a Perl check's run) is left out.
 */
export function measuredRoundTrips(outputs: readonly ProbeOutput[]): RoundTripEvidence {
  return roundTripEvidence(
    outputs.filter((o) => pingRttMs(o.stdout) !== undefined || curlConnectMs(o) !== undefined),
  );
}

/**
 * A probe answered when its tool succeeded (a reply, a connection), or when a TCP peer refused: a
 * RST is the peer's own answer, one round trip like a SYN-ACK (nothing listens on a lab node's
 * kubelet port, nor on a node whose kubelet is down).
 */
export function answered(o: ProbeOutput): boolean {
  if (o.timedOut) return false;
  if (o.exitCode === 0) return true;
  if (splitPeerProbeKey(o.probe)?.kind !== 'tcp-node') return false;
  const tcp = parseTcpConnect(o);
  return tcp.status === 'ok' && tcp.value.outcome === 'refused';
}

function fastestByDestination(outputs: readonly ProbeOutput[]): Map<string, RoundTripEstimate> {
  const byDestination = new Map<string, RoundTripEstimate>();
  for (const o of outputs) {
    if (!answered(o) || !Number.isFinite(o.durationMs)) continue;
    const dest = probeDestination(o.probe);
    const rttMs =
      pingRttMs(o.stdout) ?? curlConnectMs(o) ?? o.durationMs / (ROUND_TRIPS_IN_ANSWER[o.probe] ?? 1);
    const had = byDestination.get(dest);
    byDestination.set(dest, {
      rttMs: Math.min(had?.rttMs ?? Number.POSITIVE_INFINITY, rttMs),
      toolMs: Math.min(had?.toolMs ?? Number.POSITIVE_INFINITY, o.durationMs),
    });
  }
  return byDestination;
}

/** The worker's deadline for each Kubernetes API call (roles/worker.ts): the ceiling of the first one's wait. */
export const KUBE_CEILING_MS = 3000;
/** A process's first API call also sets up TLS and the client: never cut below this before one answered. */
export const KUBE_FLOOR_MS = 500;

/**
 * How long to wait for the API server's node list, from the start of the call: RTT_FACTOR times
 * the slowest evidence (an earlier whole fetch of this process; a third of the SSH handshake with
 * the control plane, where the API server usually is), at most the ceiling, at least
 * DEADLINE_FLOOR_MS once this process has had an answer, KUBE_FLOOR_MS before.
 */
export function kubeWait(
  nodeListMs: number | undefined,
  controlPlaneHandshakeMs: number | undefined,
): number {
  const fromSsh =
    controlPlaneHandshakeMs === undefined ? undefined : controlPlaneHandshakeMs / HANDSHAKE_ROUND_TRIPS;
  const seen = [nodeListMs, fromSsh].filter((v): v is number => v !== undefined);
  const floor = nodeListMs === undefined ? KUBE_FLOOR_MS : DEADLINE_FLOOR_MS;
  return probeDeadline(seen.length > 0 ? Math.max(...seen) : undefined, KUBE_CEILING_MS, floor);
}
