import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

/**
 * `KEY=value` lines printed by the sysctl probe from /proc/sys. A key whose file does not exist
 * prints an empty value (output recorded with `sysctl -n` printed its error there): not a number, so null.
 */
export function parseSysctls(output: ProbeOutput): Parsed<Record<string, string | null>> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const values: Record<string, string | null> = {};
  for (const line of output.stdout.split('\n')) {
    const m = /^([a-z0-9_.-]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2]!.trim();
    values[m[1]!] = /^-?\d+$/.test(value) ? value : null;
  }
  if (Object.keys(values).length === 0)
    return unknown(`sysctl probe printed nothing usable (${firstLine(output.stderr)})`);
  return ok(values);
}
