import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface CniConfigDir {
  readonly exists: boolean;
  /** File names in lexical order: the container runtime uses the first valid one. */
  readonly files: readonly string[];
}

export function parseCniConfigDir(output: ProbeOutput): Parsed<CniConfigDir> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const lines = output.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const header = lines[0] ?? '';
  if (output.exitCode !== 0 || !/^(NO)?DIR /.test(header)) {
    return unknown(`could not list /etc/cni/net.d (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  }
  if (header.startsWith('NODIR')) return ok({ exists: false, files: [] });
  return ok({ exists: true, files: lines.slice(1).sort() });
}
