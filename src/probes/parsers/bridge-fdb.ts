import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, noJson, parseJson, saysAbsent } from './parse-helpers.js';

export interface FdbEntry {
  readonly mac: string;
  readonly dst: string | undefined;
}

/** `bridge -j fdb show dev flannel.1`: which VTEP MAC lives behind which node address. */
export function parseFdb(output: ProbeOutput): Parsed<FdbEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (saysAbsent(output, 'NODEV')) return ok([]);
  if (output.exitCode !== 0)
    return unknown(`bridge fdb failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout.trim() || '[]');
  if (!Array.isArray(json)) return unknown(noJson('bridge fdb', output));
  return ok(
    (json as { mac?: string; dst?: string }[])
      .filter((e) => e.mac && e.mac !== '00:00:00:00:00:00')
      .map((e) => ({ mac: e.mac!.toLowerCase(), dst: e.dst })),
  );
}
