import type { ClusterFacts, NodeFacts } from '../probes/cluster-facts.js';
import { type Parsed, unknown } from '../probes/parsed.js';
import type { ProbeOutput } from '../probes/probe-output.js';
import {
  PEER_PROBES,
  type PeerProbeKind,
  type PeerProbeValue,
  PROBES,
  type ProbeKey,
  type ProbeValue,
  splitPeerProbeKey,
} from '../probes/probe-registry.js';
import type { Evidence } from './evidence.js';

const MAX_EVIDENCE_LINES = 12;

/** A per-peer probe's recorded output on one node. */
export interface PeerProbeOutput<K extends PeerProbeKind = PeerProbeKind> {
  readonly kind: K;
  readonly peer: string;
  readonly key: string;
  readonly output: ProbeOutput;
}

/** One of the per-peer kinds: a `switch` on `kind` narrows it. */
export type AnyPeerProbeOutput = { [K in PeerProbeKind]: PeerProbeOutput<K> }[PeerProbeKind];

/** Read-only access to recorded facts with parsing memoised: what every check and rule works from. Pure. */
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

  /** A probe's parsed output on a node; "unknown" (with why) when it could not run or be read. */
  parsed<K extends ProbeKey>(node: string, key: K): Parsed<ProbeValue<K>> {
    return this.memo(node, key, () => {
      const facts = this.facts.nodes[node];
      const output = facts?.outputs[key];
      if (!facts) return unknown(`${node} was not probed`);
      if (!facts.connection.ok)
        return unknown(`${node} could not be reached over SSH (${facts.connection.code})`);
      if (!output) return unknown(`probe ${key} did not run on ${node}`);
      return (PROBES[key].parse as (o: ProbeOutput) => Parsed<unknown>)(output);
    }) as Parsed<ProbeValue<K>>;
  }

  /** Every per-peer probe recorded on a node, in the order the outputs came back. */
  peerProbes(node: string): AnyPeerProbeOutput[] {
    const outputs = this.facts.nodes[node]?.outputs ?? {};
    return Object.entries(outputs).flatMap(([key, output]) => {
      const split = splitPeerProbeKey(key);
      return split ? [{ ...split, key, output } as AnyPeerProbeOutput] : [];
    });
  }

  /** A recorded per-peer probe, parsed. */
  parsedPeer<K extends PeerProbeKind>(node: string, probe: PeerProbeOutput<K>): Parsed<PeerProbeValue<K>> {
    return this.memo(node, probe.key, () =>
      (PEER_PROBES[probe.kind].parse as (o: ProbeOutput) => Parsed<unknown>)(probe.output),
    ) as Parsed<PeerProbeValue<K>>;
  }

  /** Evidence from a probe: its command and either the chosen lines or the head of its output. */
  evidence(node: string, key: string, lines?: readonly string[], note?: string): Evidence {
    const output = this.output(node, key);
    if (!output) return { node, command: key, lines: ['(not collected)'], note };
    const shown = lines ?? headLines(output);
    return { node, command: output.command, lines: shown, note };
  }

  private memo(node: string, key: string, parse: () => Parsed<unknown>): Parsed<unknown> {
    const cacheKey = `${node}\u0000${key}`;
    let result = this.cache.get(cacheKey);
    if (!result) {
      result = parse();
      this.cache.set(cacheKey, result);
    }
    return result;
  }
}

function headLines(output: ProbeOutput): string[] {
  const all = [...output.stdout.split('\n'), ...output.stderr.split('\n')].filter((l) => l.trim().length > 0);
  const status = output.timedOut ? `(timed out after ${output.durationMs} ms)` : `(exit ${output.exitCode})`;
  if (all.length <= MAX_EVIDENCE_LINES) return [...all, status];
  return [...all.slice(0, MAX_EVIDENCE_LINES), `… ${all.length - MAX_EVIDENCE_LINES} more lines`, status];
}
