import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { connectLine, connectOutcome } from './connect-errno.js';
import { parseCurlWriteOut } from './curl-write-out.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface HttpsResult {
  /** A TCP connection was established. */
  readonly tcpConnected: boolean;
  /** How TCP failed, when it did. */
  readonly tcpFailure: 'refused' | 'timeout' | 'unreachable' | undefined;
  /** An HTTP status came back over TLS. */
  readonly httpStatus: number | undefined;
  /** curl's own message (display only: its wording differs between curl 7 and 8). */
  readonly summary: string;
}

/**
 * curl exit codes that can only happen after the TCP handshake succeeded (TLS or HTTP trouble).
 * Used only when the output has no `num_connects` (recorded before the probe asked for it).
 */
const AFTER_CONNECT = new Set([
  8, 16, 35, 47, 51, 52, 53, 54, 56, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 92,
]);

/** Exit 6 and 5: the name (or the proxy's) did not resolve; nothing was tried. */
const NOT_TRIED = new Set([5, 6]);

/**
 * `curl -w '%{http_code} %{num_connects}'` to the API server, then (only after exit 7) the Perl
 * connect check to the same host and port. Decided from curl's exit code, num_connects and the
 * errno name; curl's stderr is shown, never read.
 */
export function parseHttps(output: ProbeOutput): Parsed<HttpsResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const code = output.exitCode ?? -1;
  const stderr = firstLine(output.stderr);
  if (NOT_TRIED.has(code))
    return unknown(`curl could not resolve the API server name (exit ${code}: ${stderr})`);
  const { httpCode, numConnects } = parseCurlWriteOut(output.stdout);
  if (code === 0) {
    return ok({
      tcpConnected: true,
      tcpFailure: undefined,
      httpStatus: httpCode,
      summary: `HTTP ${httpCode ?? '000'}`,
    });
  }
  const tcpConnected = numConnects !== undefined ? numConnects > 0 : AFTER_CONNECT.has(code);
  if (tcpConnected) {
    return ok({
      tcpConnected,
      tcpFailure: undefined,
      httpStatus: undefined,
      summary: stderr || `curl exit ${code}`,
    });
  }
  if (code === 7 || code === 28) {
    return ok({
      tcpConnected: false,
      tcpFailure: code === 28 ? 'timeout' : refusedOrUnreachable(output.stdout),
      httpStatus: undefined,
      summary: stderr || `curl exit ${code}`,
    });
  }
  return unknown(`curl failed (exit ${code}: ${stderr})`);
}

/**
 * curl 7 and 8 exit 7 for a RST and for an ICMP unreachable alike; the Perl check that the probe
 * runs after an exit 7 tells them apart by errno. Without it (no Perl on the node, or output
 * recorded before it existed) exit 7 stays "refused", as before: rejected at once, not a timeout.
 */
function refusedOrUnreachable(stdout: string): 'refused' | 'timeout' | 'unreachable' {
  const outcome = connectOutcome(connectLine(stdout) ?? '');
  return outcome === 'timeout' || outcome === 'unreachable' ? outcome : 'refused';
}
