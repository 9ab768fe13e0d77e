import { randomBytes } from 'node:crypto';
import { type RemoteCommand, sh } from '../ssh/remote-command.js';
import { PAIR_PROBE_PERL } from './pair-probe-perl.js';

/**
 * The pair probe primitive: one source node probes a list of targets (other nodes' addresses on
 * any plane, the API server) in one SSH exec, every probe in parallel, all under one deadline.
 * Used by `/netcheck mesh` (every node to every node) and by preflight (a new node to the existing
 * ones, both ways). What a target *means* (which plane, which peer) is the caller's business; here
 * a target is only "ICMP echo to an IPv4 address" or "TCP connect to address:port".
 */
export type PairProbeKind = 'icmp' | 'tcp';

export interface PairProbeTarget {
  /** The caller's key for the result (e.g. `node-3/overlay-flannel`); unique per source. */
  readonly key: string;
  readonly kind: PairProbeKind;
  /** IPv4 address (validated by the caller: inventory or the Kubernetes API, never Slack). */
  readonly host: string;
  /** TCP only. */
  readonly port?: number;
}

/**
 * How one probe ended, as the source saw it.
 * - ok: echo reply / TCP connected
 * - refused: a RST came back (the peer's kernel answered; nothing listens, or a REJECT with tcp-reset)
 * - fail: rejected at once: a local firewall (EPERM), no route, an ICMP unreachable came back
 * - timeout: no answer before the deadline (dropped somewhere)
 * - unknown: could not be tried (no ICMP socket, no Perl, no answer from the prober at all)
 */
export type PairOutcome = 'ok' | 'refused' | 'fail' | 'timeout' | 'unknown';

export interface PairProbeResult {
  readonly outcome: PairOutcome;
  /** One word from the node (errno name, `reply`, `unreach-1` …), or netcheck's own reason. */
  readonly detail: string;
}

export interface PairProbeScript {
  readonly command: RemoteCommand;
  readonly boundary: string;
  /** The exec's deadline: the probes' own plus the process start and a margin. */
  readonly timeoutMs: number;
}

/** The deadline of each probe inside the script (all run at once, so it is also the script's). */
export const PAIR_PROBE_DEADLINE_MS = 2000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const DETAIL = /^[A-Za-z0-9_.-]{1,40}$/;
const OUTCOMES: ReadonlySet<string> = new Set(['ok', 'refused', 'fail', 'timeout', 'unknown']);

/**
 * The remote command for one source. Targets travel as one quoted argument (`id kind host port`
 * lines, ids are indexes into `targets`). Without Perl on the node, ICMP falls back to one `ping`
 * per target, 16 at a time (`xargs -P`), and TCP is `unknown` (no portable connect tool).
 */
export function buildPairProbeScript(
  targets: readonly PairProbeTarget[],
  deadlineMs: number = PAIR_PROBE_DEADLINE_MS,
): PairProbeScript {
  const boundary = `NCPAIR-${randomBytes(6).toString('hex')}`;
  const lines = targets.map((t, i) => {
    if (!IPV4.test(t.host)) throw new Error(`pair probe: ${t.host} is not an IPv4 address`);
    if (t.kind === 'tcp' && !(Number.isInteger(t.port) && t.port! > 0 && t.port! < 65536))
      throw new Error(`pair probe: TCP target ${t.key} has no valid port`);
    return t.kind === 'tcp' ? `${i} tcp ${t.host} ${t.port}` : `${i} icmp ${t.host}`;
  });
  const spec = lines.join('\n');
  const seconds = (deadlineMs / 1000).toFixed(2);
  const wait = Math.max(1, Math.ceil(deadlineMs / 1000));
  const kill = wait + 2;
  const command = sh`if command -v perl >/dev/null 2>&1; then LC_ALL=C timeout -k 1 ${kill} perl -e ${PAIR_PROBE_PERL} ${seconds} ${boundary} ${spec}; else printf '%s\n' ${spec} | while read -r i k h p; do [ "$k" = icmp ] && echo "$i $h"; done | LC_ALL=C timeout -k 1 ${kill + 2} xargs -r -P 16 -n 2 sh -c 'if ping -n -c 1 -W ${wait} "$2" >/dev/null 2>&1; then echo "$0 $1 ok reply"; else echo "$0 $1 timeout no-reply"; fi' ${boundary}; printf '%s\n' ${spec} | while read -r i k h p; do [ "$k" = tcp ] && echo "${boundary} $i unknown no-perl"; done; true; fi`;
  return { command, boundary, timeoutMs: deadlineMs + 5000 };
}

/**
 * Reads the prober's lines back (node output is hostile: only lines with the boundary, a known id,
 * a known outcome and a one-word detail count). A target with no line is `unknown`, with `missing`
 * as the reason given by the caller (the exec timed out, the connection broke …).
 */
export function parsePairProbeOutput(
  script: Pick<PairProbeScript, 'boundary'>,
  targets: readonly PairProbeTarget[],
  stdout: string,
  missing = 'no-result',
): Map<string, PairProbeResult> {
  const byIndex = new Map<number, PairProbeResult>();
  for (const line of stdout.split('\n')) {
    const words = line.trim().split(' ');
    if (words.length !== 4 || words[0] !== script.boundary) continue;
    const index = Number(words[1]);
    const outcome = words[2]!;
    const detail = words[3]!;
    if (!Number.isInteger(index) || index < 0 || index >= targets.length) continue;
    if (!OUTCOMES.has(outcome) || !DETAIL.test(detail) || byIndex.has(index)) continue;
    byIndex.set(index, { outcome: outcome as PairOutcome, detail });
  }
  const results = new Map<string, PairProbeResult>();
  targets.forEach((t, i) => {
    results.set(t.key, byIndex.get(i) ?? { outcome: 'unknown', detail: missing });
  });
  return results;
}
