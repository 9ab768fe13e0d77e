import { parseCniConfigDir, parseListeningPorts, parseSubnetEnv } from '../probes/file-probes.js';
import { parseHttps } from '../probes/https-probe.js';
import { parseIptablesSave } from '../probes/iptables-probe.js';
import { parseAddresses, parseLink } from '../probes/link-probe.js';
import {
  parseFdb,
  parseFlannelLog,
  parseIptablesBackends,
  parseNeigh,
  parseRoutes,
  parseServices,
  parseSysctls,
  parseTcpConnect,
} from '../probes/overlay-probes.js';
import { parsePing } from '../probes/ping-probe.js';
import { type Parsed, type ProbeOutput, unknown } from '../probes/probe-output.js';
import { parseRouteGet } from '../probes/route-probe.js';
import { type ClusterFacts, type NodeFacts, PROBE } from './facts.js';
import type { Evidence } from './node-report.js';

const parsers = {
  [PROBE.pingControlPlane]: parsePing,
  [PROBE.httpsApiServer]: parseHttps,
  [PROBE.flannelLink]: (o: ProbeOutput) => parseLink(o, 'flannel.1'),
  [PROBE.addresses]: parseAddresses,
  [PROBE.routeControlPlane]: parseRouteGet,
  [PROBE.cniConfig]: parseCniConfigDir,
  [PROBE.subnetEnv]: parseSubnetEnv,
  [PROBE.iptables]: parseIptablesSave,
  [PROBE.listening]: parseListeningPorts,
  [PROBE.routes]: parseRoutes,
  [PROBE.fdb]: parseFdb,
  [PROBE.neigh]: parseNeigh,
  [PROBE.sysctls]: parseSysctls,
  [PROBE.flannelLog]: parseFlannelLog,
  [PROBE.iptablesBackends]: parseIptablesBackends,
  [PROBE.services]: parseServices,
  ping: parsePing,
  tcp: parseTcpConnect,
} as const;

type Parsers = typeof parsers;
export type ParsedValue<K extends keyof Parsers> = ReturnType<Parsers[K]> extends Parsed<infer T> ? T : never;

const MAX_EVIDENCE_LINES = 12;

/** Read-only access to recorded facts with parsing memoised: what every rule works from. Pure. */
export class FactView {
  private readonly cache = new Map<string, Parsed<unknown>>();

  constructor(readonly facts: ClusterFacts) {}

  get target(): NodeFacts {
    return this.node(this.facts.target)!;
  }

  get controlPlane(): NodeFacts | undefined {
    return this.node(this.facts.controlPlane);
  }

  node(name: string): NodeFacts | undefined {
    return this.facts.nodes[name];
  }

  output(node: string, key: string): ProbeOutput | undefined {
    return this.facts.nodes[node]?.outputs[key];
  }

  parsed<K extends keyof Parsers>(node: string, key: K): Parsed<ParsedValue<K>> {
    const cacheKey = `${node}\u0000${key}`;
    let result = this.cache.get(cacheKey);
    if (!result) {
      const facts = this.facts.nodes[node];
      const output = facts?.outputs[key];
      if (!facts) result = unknown(`${node} was not probed`);
      else if (!facts.connection.ok)
        result = unknown(`${node} could not be reached over SSH (${facts.connection.code})`);
      else if (!output) result = unknown(`probe ${key} did not run on ${node}`);
      else result = (parsers[key] as (o: ProbeOutput) => Parsed<unknown>)(output);
      this.cache.set(cacheKey, result);
    }
    return result as Parsed<ParsedValue<K>>;
  }

  /** Per-peer ping probes (`ping-node:<peer>`, `overlay-ping:<addr>`, `overlay-df-ping:<addr>`). */
  ping(node: string, key: string): Parsed<ParsedValue<'ping'>> | undefined {
    const output = this.facts.nodes[node]?.outputs[key];
    if (!output) return undefined;
    const cacheKey = `ping\u0000${node}\u0000${key}`;
    let result = this.cache.get(cacheKey);
    if (!result) {
      result = parsePing(output);
      this.cache.set(cacheKey, result);
    }
    return result as Parsed<ParsedValue<'ping'>>;
  }

  /** Evidence from a probe: its command and either the chosen lines or the head of its output. */
  evidence(node: string, key: string, lines?: readonly string[], note?: string): Evidence {
    const output = this.output(node, key);
    if (!output) return { node, command: key, lines: ['(not collected)'], note };
    const shown = lines ?? headLines(output);
    return { node, command: output.command, lines: shown, note };
  }
}

function headLines(output: ProbeOutput): string[] {
  const all = [...output.stdout.split('\n'), ...output.stderr.split('\n')].filter((l) => l.trim().length > 0);
  const status = output.timedOut ? `(timed out after ${output.durationMs} ms)` : `(exit ${output.exitCode})`;
  if (all.length <= MAX_EVIDENCE_LINES) return [...all, status];
  return [...all.slice(0, MAX_EVIDENCE_LINES), `… ${all.length - MAX_EVIDENCE_LINES} more lines`, status];
}
