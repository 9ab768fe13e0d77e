import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface HttpsResult {
  /** A TCP connection was established. */
  readonly tcpConnected: boolean;
  /** How TCP failed, when it did. */
  readonly tcpFailure: 'refused' | 'timeout' | 'unreachable' | undefined;
  /** An HTTP status came back over TLS. */
  readonly httpStatus: number | undefined;
  readonly summary: string;
}

// curl exit codes that can only happen after the TCP handshake succeeded (TLS or HTTP trouble).
const AFTER_CONNECT = new Set([
  8, 16, 35, 47, 51, 52, 53, 54, 56, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91, 92,
]);

export function parseHttps(output: ProbeOutput): Parsed<HttpsResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const stderr = firstLine(output.stderr);
  const code = output.exitCode ?? -1;
  if (code === 0) {
    const status = Number.parseInt(output.stdout.trim(), 10);
    return ok({
      tcpConnected: true,
      tcpFailure: undefined,
      httpStatus: Number.isNaN(status) ? undefined : status,
      summary: `HTTP ${output.stdout.trim()}`,
    });
  }
  if (code === 7) {
    const tcpFailure = /refused/i.test(stderr)
      ? 'refused'
      : /no route|unreachable/i.test(stderr)
        ? 'unreachable'
        : 'refused';
    return ok({
      tcpConnected: false,
      tcpFailure,
      httpStatus: undefined,
      summary: stderr || 'curl: (7) could not connect',
    });
  }
  if (code === 28) {
    // With --connect-timeout shorter than --max-time, a timeout while connecting says "Connection timed out".
    const connected =
      !/connect|Connection timed out|Resolving/i.test(stderr) ||
      /after \d+ ms with \d+ (out of \d+ )?bytes received/i.test(stderr);
    return ok({
      tcpConnected: connected,
      tcpFailure: connected ? undefined : 'timeout',
      httpStatus: undefined,
      summary: stderr || 'curl: (28) timed out',
    });
  }
  if (AFTER_CONNECT.has(code)) {
    return ok({
      tcpConnected: true,
      tcpFailure: undefined,
      httpStatus: undefined,
      summary: stderr || `curl exit ${code}`,
    });
  }
  if (code === 6) return unknown(`curl could not resolve the API server name (${stderr})`);
  return unknown(`curl failed (exit ${code}: ${stderr})`);
}

export interface TcpConnectResult {
  readonly connected: boolean;
  /** A RST came back: the path carries TCP, nothing listens on the port. */
  readonly refused: boolean;
  readonly summary: string;
}

/**
 * curl to http://peer:port/: any HTTP answer or an empty/reset reply means TCP connected; exit 7 with
 * "Connection refused" means the path works and nothing listens; exit 28 is a timeout.
 */
export function parseTcpConnect(output: ProbeOutput): Parsed<TcpConnectResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const code = output.exitCode ?? -1;
  const stderr = firstLine(output.stderr);
  if (code === 0 || code === 52 || code === 56 || code === 35 || code === 8) {
    return ok({
      connected: true,
      refused: false,
      summary: code === 0 ? 'TCP connected (HTTP answered)' : `TCP connected (${stderr})`,
    });
  }
  if (code === 7 && /refused/i.test(stderr)) return ok({ connected: false, refused: true, summary: stderr });
  if (code === 7 && /Couldn't connect to server/i.test(stderr) && /after \d{1,2} ms/.test(stderr)) {
    // An immediate failure is a RST: curl 7.88 words a refused connection this way.
    return ok({ connected: false, refused: true, summary: stderr });
  }
  if (code === 28)
    return ok({ connected: false, refused: false, summary: stderr || 'TCP connect timed out' });
  if (code === 7) return ok({ connected: false, refused: false, summary: stderr });
  return unknown(`curl failed (exit ${code}: ${stderr})`);
}
