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

/**
 * curl to http://peer:port/: any HTTP answer or an empty/reset reply means TCP connected; exit 7 with
 * "Connection refused" means the path works and nothing listens; exit 28 is a timeout.
 */
export function parseTcpConnect(
  output: ProbeOutput,
): Parsed<{ connected: boolean; refused: boolean; summary: string }> {
  const failure = commonFailure(output);
  if (failure) return failure;
  const code = output.exitCode ?? -1;
  const stderr = firstLine(output.stderr);
  if (code === 0 || code === 52 || code === 56 || code === 35 || code === 8) {
    return ok({
      connected: true,
      refused: false,
      summary: code === 0 ? 'TCP connected (HTTP answered)' : `TCP connected (${stderr})`,
    });
  }
  if (code === 7 && /refused/i.test(stderr)) return ok({ connected: false, refused: true, summary: stderr });
  if (code === 7 && /Couldn't connect to server/i.test(stderr) && /after \d{1,2} ms/.test(stderr)) {
    // An immediate failure is a RST: curl 7.88 words a refused connection this way.
    return ok({ connected: false, refused: true, summary: stderr });
  }
  if (code === 28)
    return ok({ connected: false, refused: false, summary: stderr || 'TCP connect timed out' });
  if (code === 7) return ok({ connected: false, refused: false, summary: stderr });
  return unknown(`curl failed (exit ${code}: ${stderr})`);
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
