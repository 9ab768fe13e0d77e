/**
 * What the probes ask curl to print with `-w '%{http_code} %{num_connects} %{time_connect}\n'`
 * (all three exist since curl 7.12; `%{exitcode}` would need 7.75, so the shell's exit code is used
 * instead). `num_connects` is 1 exactly when a TCP connection was made, whatever failed after it
 * (TLS, an empty reply, a read timeout): recorded on curl 7.88.1 and 8.14.1, where `time_connect`
 * is not reliable for that (7.88 prints 0 for a connection whose TLS handshake failed).
 * `time_connect` is read only as the TCP handshake's duration of a request that succeeded: the
 * path's round trip, without curl's start-up and TLS work (probe-deadline.ts).
 */
export interface CurlWriteOut {
  /** undefined for curl's "000" (no HTTP answer). */
  readonly httpCode: number | undefined;
  /** undefined in output recorded before the probe asked for it. */
  readonly numConnects: number | undefined;
  /** Seconds from the start to the TCP connection; undefined when not printed (older recordings). */
  readonly timeConnectS: number | undefined;
}

export const CURL_WRITE_OUT = '%{http_code} %{num_connects} %{time_connect}\\n';

/** The last `<3 digits>[ <n>[ <seconds>]]` line of curl's stdout (the body goes to /dev/null). */
export function parseCurlWriteOut(stdout: string): CurlWriteOut {
  const lines = stdout.split('\n').filter((l) => /^\d{3}( \d+( \d+(\.\d+)?)?)?\s*$/.test(l.trim()));
  const [code, connects, connectS] = (lines.at(-1) ?? '').trim().split(' ');
  const httpCode = code && code !== '000' ? Number(code) : undefined;
  return {
    httpCode,
    numConnects: connects === undefined ? undefined : Number(connects),
    timeConnectS: connectS === undefined ? undefined : Number(connectS),
  };
}
