import {
  commonFailure,
  firstLine,
  ok,
  type Parsed,
  type ProbeOutput,
  parseJson,
  unknown,
} from './probe-output.js';

export interface FdbEntry {
  readonly mac: string;
  readonly dst: string | undefined;
}

/** `bridge -j fdb show dev flannel.1`: which VTEP MAC lives behind which node address. */
export function parseFdb(output: ProbeOutput): Parsed<FdbEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    if (/does not exist|Cannot find device/i.test(output.stderr)) return ok([]);
    return unknown(`bridge fdb failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  }
  const json = parseJson(output.stdout.trim() || '[]');
  if (!Array.isArray(json)) return unknown('bridge fdb printed no JSON');
  return ok(
    (json as { mac?: string; dst?: string }[])
      .filter((e) => e.mac && e.mac !== '00:00:00:00:00:00')
      .map((e) => ({ mac: e.mac!.toLowerCase(), dst: e.dst })),
  );
}

export interface NeighEntry {
  readonly dst: string;
  readonly mac: string | undefined;
  readonly state: readonly string[];
}

/** `ip -j neigh show dev flannel.1`: overlay address → VTEP MAC. */
export function parseNeigh(output: ProbeOutput): Parsed<NeighEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    if (/does not exist|Cannot find device/i.test(output.stderr)) return ok([]);
    return unknown(`ip neigh failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  }
  const json = parseJson(output.stdout.trim() || '[]');
  if (!Array.isArray(json)) return unknown('ip neigh printed no JSON');
  return ok(
    (json as { dst?: string; lladdr?: string; state?: string[] }[])
      .filter((e) => e.dst)
      .map((e) => ({ dst: e.dst!, mac: e.lladdr?.toLowerCase(), state: e.state ?? [] })),
  );
}

export interface RouteEntry {
  readonly dst: string;
  readonly gateway: string | undefined;
  readonly dev: string | undefined;
  readonly onlink: boolean;
}

/** `ip -j route show`: the main table. */
export function parseRoutes(output: ProbeOutput): Parsed<RouteEntry[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(`ip route failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout);
  if (!Array.isArray(json))
    return unknown(output.truncated ? 'ip route output was truncated' : 'ip route printed no JSON');
  return ok(
    (json as { dst?: string; gateway?: string; dev?: string; flags?: string[] }[]).map((r) => ({
      dst: r.dst ?? '',
      gateway: r.gateway,
      dev: r.dev,
      onlink: (r.flags ?? []).includes('onlink'),
    })),
  );
}

/** `KEY=value` lines printed by the sysctl probe; a missing key prints an error instead of a value. */
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

export interface DfPing {
  readonly peer: string;
  readonly replied: boolean;
  readonly tooBig: boolean;
  readonly summary: string;
}

/** `bash -c 'exec 3<>/dev/tcp/H/P'` under `timeout`: 0 connected, 124 timed out, 1 refused/unreachable. */
export function parseTcpConnect(
  output: ProbeOutput,
): Parsed<{ connected: boolean; refused: boolean; summary: string }> {
  if (output.exitCode === 127 || output.exitCode === 126)
    return unknown(`bash is missing on the node (${firstLine(output.stderr)})`);
  if (output.exitCode === 124 || output.timedOut)
    return ok({ connected: false, refused: false, summary: 'TCP connect timed out' });
  if (output.exitCode === null)
    return unknown(firstLine(output.stderr) || 'the command was killed before it finished');
  if (output.exitCode === 0) return ok({ connected: true, refused: false, summary: 'TCP connected' });
  const refused = /Connection refused/i.test(output.stderr);
  return ok({
    connected: false,
    refused,
    summary: firstLine(output.stderr) || `TCP connect failed (exit ${output.exitCode})`,
  });
}

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
