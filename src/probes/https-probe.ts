import { commonFailure, firstLine, ok, type Parsed, type ProbeOutput, unknown } from './probe-output.js';

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
