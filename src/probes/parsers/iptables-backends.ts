import { ok, type Parsed } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure } from './parse-helpers.js';

/** "BACKEND <name> <count>" lines: Kubernetes/Flannel rules per iptables backend. */
export function parseIptablesBackends(output: ProbeOutput): Parsed<Record<string, number>> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const counts: Record<string, number> = {};
  for (const line of output.stdout.split('\n')) {
    const m = /^BACKEND (\S+) (\d+)$/.exec(line.trim());
    if (m) counts[m[1]!] = Number(m[2]);
  }
  return ok(counts);
}
