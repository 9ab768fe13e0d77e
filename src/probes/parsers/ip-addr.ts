import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, noJson, parseJson } from './parse-helpers.js';

export interface InterfaceAddress {
  readonly ifname: string;
  readonly address: string;
  readonly prefixlen: number;
  /** The MTU of the interface the address is on. */
  readonly mtu: number | undefined;
}

/** `ip -j addr show`: IPv4 addresses per interface. */
export function parseAddresses(output: ProbeOutput): Parsed<InterfaceAddress[]> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(`ip addr failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout);
  if (!Array.isArray(json)) return unknown(noJson('ip addr', output));
  const result: InterfaceAddress[] = [];
  for (const link of json as {
    ifname?: string;
    mtu?: number;
    addr_info?: { family?: string; local?: string; prefixlen?: number }[];
  }[]) {
    for (const a of link.addr_info ?? []) {
      if (a.family === 'inet' && a.local && typeof a.prefixlen === 'number') {
        result.push({ ifname: link.ifname ?? '?', address: a.local, prefixlen: a.prefixlen, mtu: link.mtu });
      }
    }
  }
  return ok(result);
}
