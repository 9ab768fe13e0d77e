import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { type ConnectOutcome, connectLine, connectOutcome } from './connect-errno.js';
import { parseCurlWriteOut } from './curl-write-out.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface TcpConnectResult {
  readonly connected: boolean;
  /** A RST came back: the path carries TCP, nothing listens on the port. */
  readonly refused: boolean;
  /** How the connect ended; undefined when curl could not tell (see below). */
  readonly outcome: ConnectOutcome | undefined;
  readonly summary: string;
}

const SUMMARY: Readonly<Record<ConnectOutcome, string>> = {
  connected: 'TCP connected',
  refused: 'connection refused (a RST came back)',
  timeout: 'TCP connect timed out (no answer)',
  unreachable: 'no path: the connect was rejected as unreachable or prohibited',
};

/**
 * The TCP check to a peer's port. With Perl on the node (every Debian/Ubuntu): the connect()
 * errno by name, see TCP_CONNECT_PERL. Without Perl the probe falls back to curl, which exits 7
 * for a RST and for an ICMP unreachable alike: exit 7 then counts as refused (rejected at once,
 * as netcheck always read it), 28 with no connection as a timeout.
 */
export function parseTcpConnect(output: ProbeOutput): Parsed<TcpConnectResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const name = connectLine(output.stdout);
  if (name !== undefined) {
    const outcome = connectOutcome(name);
    if (!outcome) return unknown(`the TCP check could not try to connect (${name}${stderrNote(output)})`);
    return ok(result(outcome, `${SUMMARY[outcome]} [${name}]`));
  }
  return parseCurlFallback(output);
}

function parseCurlFallback(output: ProbeOutput): Parsed<TcpConnectResult> {
  const code = output.exitCode ?? -1;
  const stderr = firstLine(output.stderr);
  const { numConnects } = parseCurlWriteOut(output.stdout);
  if (code === 0 || (numConnects ?? 0) > 0 || (numConnects === undefined && [8, 35, 52, 56].includes(code))) {
    return ok(
      result('connected', code === 0 ? 'TCP connected (HTTP answered)' : `TCP connected (curl exit ${code})`),
    );
  }
  if (code === 7) return ok({ ...result('refused', stderr || 'curl exit 7'), outcome: undefined });
  if (code === 28) return ok(result('timeout', stderr || SUMMARY.timeout));
  return unknown(`curl failed (exit ${code}: ${stderr})`);
}

function result(outcome: ConnectOutcome, summary: string): TcpConnectResult {
  return { connected: outcome === 'connected', refused: outcome === 'refused', outcome, summary };
}

function stderrNote(output: ProbeOutput): string {
  const line = firstLine(output.stderr);
  return line ? `: ${line}` : '';
}
