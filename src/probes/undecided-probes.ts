import { parseHttps } from './parsers/curl.js';
import { parseTcpConnect } from './parsers/tcp-connect.js';
import {
  CONNECT_CEILING_MS,
  DEADLINE_FLOOR_MS,
  DECIDE_TOOL_FACTOR,
  measuredRoundTrips,
  type NetworkWaits,
  PING_CEILING_MS,
  pingInToolWait,
  probeDeadline,
  probeDestination,
  roundTripEvidence,
  TOOL_FACTOR,
  tcpInToolWait,
} from './probe-deadline.js';
import type { ProbeOutput } from './probe-output.js';
import { isOverlayProbeKey, isPingProbeKey, PROBE, splitPeerProbeKey } from './probe-registry.js';

// Which cut probes run again, and with what waits: decided from the same bundle's answers.

/**
 * The network probes of a bundle whose "no answer" the evidence does not decide: each ran until
 * a cut (it waited at least the shorter wait it was given, less a scheduling margin) without an
 * answer, and the answers of the same bundle (to the same destination, else the node's scale)
 * call for a longer wait than it had. These run again with the wait that evidence calls for (see
 * undecided), so a slow but healthy path is never reported as blocked. When nothing in the bundle
 * answered (a node cut off from every peer), the evidence its waits came from (its SSH handshake,
 * its earlier bundles) stands.
 */
export function undecidedProbes(
  outputs: readonly ProbeOutput[],
  isNetwork: (key: string) => boolean,
  waits: NetworkWaits,
): string[] {
  return undecided(outputs, isNetwork, waits).probes;
}

/** The undecided probes, and the waits to run them again with (undefined: today's fixed ones). */
export interface Undecided {
  readonly probes: string[];
  readonly waits: NetworkWaits | undefined;
}

/**
 * undecidedProbes, with the waits to run them again with: what this bundle's own answers call for
 * (RTT_FACTOR times the path's round trip, TOOL_FACTOR times the same tool's fastest run), never
 * above today's fixed waits, which apply where a probe has no evidence at all. The same bundle's
 * answers are the best evidence there is of how long an answer takes on this node now.
 */
export function undecided(
  outputs: readonly ProbeOutput[],
  isNetwork: (key: string) => boolean,
  waits: NetworkWaits,
): Undecided {
  const network = outputs.filter((o) => isNetwork(o.probe));
  // The path's round trip may come from any tool that reached the same destination; how long a
  // tool takes to start and finish only from the same tool (curl's TLS and start-up say nothing
  // about how long ping needs, and made every cut ping run again on a cold worker).
  const evidence = roundTripEvidence(network);
  // A tool that keeps its own wait needs only the path's round trip as a tool measured it.
  const measured = measuredRoundTrips(network);
  const byTool = {
    ping: roundTripEvidence(network.filter((o) => isPingProbeKey(o.probe))),
    other: roundTripEvidence(network.filter((o) => !isPingProbeKey(o.probe))),
  };
  const shorter = Math.min(waits.pingMs, waits.connectMs);
  const probes: string[] = [];
  // What the probes run again need: `need` for those cut from outside (or by curl); `own` for the
  // tools that keep their own wait (ownWait), which only the path's measured round trip sets.
  let need: number | undefined = 0;
  const own: Record<OwnWait['kind'], number | undefined> = { ping: 0, tcp: 0 };
  const most = (a: number | undefined, ...b: (number | undefined)[]) =>
    a === undefined || b.some((v) => v === undefined) ? undefined : Math.max(a, ...(b as number[]));
  const cutOverlay: string[] = [];
  let slowNode = false;
  for (const o of network) {
    if (o.exitCode === 0 || !endedWithoutAnswer(o)) continue;
    const destination = probeDestination(o.probe);
    const path = evidence.byDestination.get(destination) ?? evidence.scale;
    const kept = ownWait(o, waits);
    if (kept) {
      const trip = measured.byDestination.get(destination) ?? measured.scale;
      const needed = trip ? kept.wait(trip.rttMs) : undefined;
      // Stopped by the guard (a tool that hung): no evidence either way, so it runs again.
      if (o.timedOut) {
        probes.push(o.probe);
        own[kept.kind] = most(own[kept.kind], needed, 2 * kept.ms);
      } else if (o.durationMs < 0.8 * kept.ms) {
        // Ended before its wait could: decided by the tool itself.
      } else if (isOverlayProbeKey(o.probe) && !(needed !== undefined && needed > kept.ms)) {
        cutOverlay.push(o.probe);
      } else if (
        evidence.scale !== undefined &&
        !evidence.byDestination.has(destination) &&
        kept.ms < waits.connectMs
      ) {
        // Other nodes answered, nothing of this bundle reached this one: a node whose every reply
        // is slow looks like one that drops them all. It runs again with the wait tools cut from
        // outside get, and so do the cut overlay pings (their packets cross the same underlay;
        // their gateways are pod subnets, not nodes, so they are not judged alone). Where nothing
        // answered at all, the evidence the waits came from stands, as for any probe.
        probes.push(o.probe);
        slowNode = true;
        own[kept.kind] = most(own[kept.kind], needed ?? waits.connectMs, waits.connectMs);
      } else if (needed !== undefined && needed > kept.ms) {
        probes.push(o.probe);
        own[kept.kind] = most(own[kept.kind], needed);
      }
      continue;
    }
    const same = byTool[isPingProbeKey(o.probe) ? 'ping' : 'other'];
    // A wait the tool keeps itself (curl's --connect-timeout) starts after the tool has started:
    // how long tools take to start says nothing about it, only the path's round trip does.
    const toolMs = cutInsideTool(o) ? 0 : ((same.byDestination.get(destination) ?? same.scale)?.toolMs ?? 0);
    const needed = path
      ? probeDeadline(path.rttMs, CONNECT_CEILING_MS, DEADLINE_FLOOR_MS, toolMs)
      : undefined;
    // Stopped before its tool could say anything: no evidence either way, so it runs again, with
    // at least twice the wait that was too short for the tool to start.
    if (o.timedOut) {
      probes.push(o.probe);
      need = most(need, needed, 2 * waits.connectMs);
      continue;
    }
    // Failed before any cut could have ended it: decided by the tool itself.
    if (o.durationMs < 0.8 * shorter) continue;
    // Both waits come from one estimate (the ping wait is the connect wait, capped at ping's ceiling).
    if (
      path &&
      probeDeadline(
        path.rttMs,
        CONNECT_CEILING_MS,
        DEADLINE_FLOOR_MS,
        (toolMs * DECIDE_TOOL_FACTOR) / TOOL_FACTOR,
      ) > waits.connectMs
    ) {
      probes.push(o.probe);
      need = most(need, needed);
    }
  }
  if (slowNode) {
    probes.push(...cutOverlay);
    own.ping = most(own.ping, waits.connectMs);
  }
  if (probes.length === 0 || need === undefined || own.ping === undefined || own.tcp === undefined)
    return { probes, waits: undefined };
  if (!waits.pingInTool && waits.tcpMs === undefined)
    return {
      probes,
      waits: { pingMs: Math.min(PING_CEILING_MS, need), connectMs: Math.min(CONNECT_CEILING_MS, need) },
    };
  return {
    probes,
    waits: {
      pingMs: Math.min(PING_CEILING_MS, Math.max(waits.pingInTool ? own.ping : need, waits.pingMs)),
      connectMs: Math.min(CONNECT_CEILING_MS, Math.max(need, waits.connectMs)),
      ...(waits.pingInTool ? { pingInTool: true } : {}),
      ...(waits.tcpMs === undefined
        ? {}
        : { tcpMs: Math.min(CONNECT_CEILING_MS, Math.max(own.tcp, waits.tcpMs)) }),
    },
  };
}

interface OwnWait {
  readonly kind: 'ping' | 'tcp';
  /** The wait it had. */
  readonly ms: number;
  /** The wait a measured round trip calls for. */
  readonly wait: (rttMs: number) => number;
}

/**
 * The wait a probe's tool kept itself, counted from its request (not from its start): a ping that
 * takes a fraction of a second (waits.pingInTool); the Perl TCP check given its wait (waits.tcpMs:
 * its `tcp-connect` line says Perl ran, not curl); curl given that wait for its TCP handshake (an
 * IPv4 address in its URL: curlTool in network-tools.ts). Undefined for a tool cut from outside.
 */
function ownWait(o: ProbeOutput, waits: NetworkWaits): OwnWait | undefined {
  if (waits.pingInTool && isPingProbeKey(o.probe))
    return { kind: 'ping', ms: waits.pingMs, wait: pingInToolWait };
  if (waits.tcpMs === undefined) return undefined;
  const perl = /^tcp-connect /m.test(o.stdout);
  const tcp = splitPeerProbeKey(o.probe)?.kind === 'tcp-node';
  if ((tcp && (perl || o.timedOut)) || (cutInsideTool(o) && curlUrlIsIpv4(o.command)))
    return { kind: 'tcp', ms: waits.tcpMs, wait: tcpInToolWait };
  return undefined;
}

/** curl keeps its own connect timeout (the HTTPS check; the TCP check where the node has no Perl). */
function cutInsideTool(o: ProbeOutput): boolean {
  if (o.probe === PROBE.httpsApiServer) return true;
  return splitPeerProbeKey(o.probe)?.kind === 'tcp-node' && !/^tcp-connect /m.test(o.stdout);
}

/**
 * Whether the URL of the command's curl names an IPv4 address, as the bundle's curl tells it (the
 * text between `://` and the next `:` or `/`). The command is the probe's own text, from the
 * validated inventory, never the node's output.
 */
export function curlUrlIsIpv4(command: string): boolean {
  const host = /\bcurl\b.*?\b[a-z]+:\/\/([^\s'":/]*)/.exec(command)?.[1];
  return host !== undefined && /^[0-9.]+$/.test(host);
}

/**
 * Whether a failed network probe ended the way a cut ends one: its tool waited and heard nothing
 * (ping: no reply, no ICMP error and no error of its own; a TCP connect or curl: timed out), or it
 * was stopped before it could say (timedOut, which includes a cut that came before the tool had
 * set up its own handling of the signal). Anything else (refused, unreachable, an ICMP error, could
 * not send) is the path's own answer however long the tool took to start on a busy node, so it is
 * never run again for want of time.
 */
export function endedWithoutAnswer(o: ProbeOutput): boolean {
  if (o.timedOut || o.exitCode === null) return true;
  if (isPingProbeKey(o.probe))
    // A cut ping prints its statistics on stdout and nothing on stderr; an ICMP error comes back as
    // a `From <router> icmp_seq=…` line; exit 2 is "could not send".
    return o.exitCode === 1 && o.stderr.trim() === '' && !/^From \S+ icmp_seq=/m.test(o.stdout);
  const parsed = o.probe === PROBE.httpsApiServer ? parseHttps(o) : parseTcpConnect(o);
  if (parsed.status !== 'ok') return true;
  return 'outcome' in parsed.value
    ? parsed.value.outcome === 'timeout'
    : parsed.value.tcpFailure === 'timeout';
}
