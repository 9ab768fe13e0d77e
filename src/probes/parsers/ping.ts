import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface PingResult {
  readonly replied: boolean;
  /** Display only, e.g. "1 packets transmitted, 0 received, 100% packet loss" or ping's error. */
  readonly summary: string;
}

/**
 * Decided by ping's exit code alone (iputils, documented and recorded on 20221126 and 20240905):
 * 0 = a reply came back; 1 = sent, no reply (also a local "message too long" for -M do);
 * 2 = ping could not send at all: no route, a prohibit/blackhole route, a local firewall, or no
 * permission to open the socket. The node cannot reach the host in all of those, so 2 is "no reply".
 * busybox ping also exits 1 for an option it does not know (it has no -M): it then prints nothing
 * on stdout, while a ping that ran always printed its "PING …" header there, so exit 1 with an
 * empty stdout is "could not run", not "no reply".
 */
export function parsePing(output: ProbeOutput): Parsed<PingResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const summary = summarize(output);
  if (output.exitCode === 0) return ok({ replied: true, summary });
  if (output.exitCode === 1 && output.stdout.trim() !== '') return ok({ replied: false, summary });
  if (output.exitCode === 2) return ok({ replied: false, summary });
  return unknown(
    `ping did not run (exit ${output.exitCode}: ${firstLine(output.stderr) || firstLine(output.stdout)})`,
  );
}

/** The statistics line when there is one (its wording is only shown), else the first error line. */
function summarize(output: ProbeOutput): string {
  const stats = output.stdout.split('\n').find((l) => /\d+ packets transmitted/.test(l));
  return (stats ?? (firstLine(output.stderr) || firstLine(output.stdout))).trim();
}
