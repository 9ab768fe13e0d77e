import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, saysAbsent } from './parse-helpers.js';

export type SubnetEnv =
  | { readonly present: false }
  | { readonly present: true; readonly values: Readonly<Record<string, string>> };

/** `cat /run/flannel/subnet.env`, or NOFILE when it does not exist (Flannel has not started here). */
export function parseSubnetEnv(output: ProbeOutput): Parsed<SubnetEnv> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (saysAbsent(output, 'NOFILE')) return ok({ present: false });
  if (output.exitCode !== 0) {
    return unknown(
      `could not read /run/flannel/subnet.env (exit ${output.exitCode}: ${firstLine(output.stderr)})`,
    );
  }
  const values: Record<string, string> = {};
  for (const line of output.stdout.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) values[m[1]!] = m[2]!.trim();
  }
  return ok({ present: true, values });
}
