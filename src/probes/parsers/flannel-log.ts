import { ok, type Parsed } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure } from './parse-helpers.js';

export interface FlannelLog {
  readonly found: boolean;
  readonly lines: readonly string[];
}

/** The Flannel container log on disk (CRI format), readable even with the API server down. */
export function parseFlannelLog(output: ProbeOutput): Parsed<FlannelLog> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const [header = '', ...rest] = output.stdout.split('\n');
  if (/^NOLOG/.test(header)) return ok({ found: false, lines: [] });
  const lines = (header.startsWith('LOG ') ? rest : [header, ...rest])
    .filter((l) => l.trim().length > 0)
    // CRI lines: "<time> stderr F <message>"; keep the message.
    .map((l) => l.replace(/^\S+\s+(stdout|stderr)\s+[FP]\s+/, ''));
  return ok({ found: true, lines });
}
