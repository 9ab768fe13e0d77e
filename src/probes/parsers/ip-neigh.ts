import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, noJson, parseJson, saysAbsent } from './parse-helpers.js';

export interface NeighEntry {
  readonly dst: string;
  readonly mac: string | undefined;
  readonly state: readonly string[];
}

/** `ip -j neigh show dev flannel.1`: overlay address → VTEP MAC. */
export function parseNeigh(output: ProbeOutput): Parsed<NeighEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (saysAbsent(output, 'NODEV')) return ok([]);
  if (output.exitCode !== 0)
    return unknown(`ip neigh failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout.trim() || '[]');
  if (!Array.isArray(json)) return unknown(noJson('ip neigh', output));
  return ok(
    (json as { dst?: string; lladdr?: string; state?: string[] }[])
      .filter((e) => e.dst)
      .map((e) => ({ dst: e.dst!, mac: e.lladdr?.toLowerCase(), state: e.state ?? [] })),
  );
}
