import { commonFailure, firstLine, ok, type Parsed, type ProbeOutput, unknown } from './probe-output.js';

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

export type SubnetEnv =
  | { readonly present: false }
  | { readonly present: true; readonly values: Readonly<Record<string, string>> };

export function parseSubnetEnv(output: ProbeOutput): Parsed<SubnetEnv> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    if (/No such file/i.test(output.stderr)) return ok({ present: false });
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

/** `ss -Hltn`: the TCP ports something listens on. */
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
