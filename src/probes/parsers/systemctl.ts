import { ok, type Parsed } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure } from './parse-helpers.js';

/** `name=state` lines from systemctl; an empty state means systemd does not know the unit (or does not run). */
export function parseServices(output: ProbeOutput): Parsed<Record<string, string>> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const states: Record<string, string> = {};
  for (const line of output.stdout.split('\n')) {
    const m = /^(kubelet|containerd)=(\S*)$/.exec(line.trim());
    if (m?.[2]) states[m[1]!] = m[2];
  }
  return ok(states);
}
