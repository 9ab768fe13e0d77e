import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface PingResult {
  readonly replied: boolean;
  /** The line that says why, e.g. "1 packets transmitted, 0 received, 100% packet loss". */
  readonly summary: string;
}

/** iputils ping: exit 0 = a reply came back, 1 = no reply, 2 = an error (bad address, no route). */
export function parsePing(output: ProbeOutput): Parsed<PingResult> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const text = `${output.stdout}\n${output.stderr}`;
  const summary =
    text
      .split('\n')
      .find((l) => /packets transmitted|packet loss|unreachable|prohibited|not permitted/i.test(l))
      ?.trim() ?? firstLine(text);
  if (output.exitCode === 0) return ok({ replied: true, summary });
  if (output.exitCode === 1) return ok({ replied: false, summary });
  if (/Operation not permitted/i.test(text)) return ok({ replied: false, summary });
  if (/Network is unreachable|No route to host/i.test(text)) return ok({ replied: false, summary });
  return unknown(`ping failed to run (exit ${output.exitCode}: ${firstLine(text)})`);
}
