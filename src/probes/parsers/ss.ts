import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

/**
 * `ss -Hltn`: the TCP ports something listens on, from the 4th column (Local Address:Port, e.g.
 * `127.0.0.1:10248`, `*:6443`, `[::]:22`, `127.0.0.53%lo:53`). Same layout in iproute2 6.1 and 6.15.
 */
export function parseListeningPorts(output: ProbeOutput): Parsed<number[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(`ss failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const ports = new Set<number>();
  for (const line of output.stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const m = local ? /:(\d+)$/.exec(local) : null;
    if (m) ports.add(Number(m[1]));
  }
  return ok([...ports].sort((a, b) => a - b));
}
