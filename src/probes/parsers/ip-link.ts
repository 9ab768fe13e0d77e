import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine, noJson, parseJson, saysAbsent } from './parse-helpers.js';

export interface LinkInfo {
  readonly exists: boolean;
  readonly name: string;
  readonly kind: string | undefined;
  readonly mtu: number | undefined;
  readonly mac: string | undefined;
  readonly up: boolean;
  readonly vxlan:
    | {
        readonly id: number | undefined;
        readonly local: string | undefined;
        readonly port: number | undefined;
      }
    | undefined;
}

interface IpLinkJson {
  ifname?: string;
  mtu?: number;
  address?: string;
  flags?: string[];
  operstate?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number } };
}

/** `ip -j -d link show dev X`, or NODEV when `ip -j link show` lists no X: a fact, not an unknown. */
export function parseLink(output: ProbeOutput, device: string): Parsed<LinkInfo> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (saysAbsent(output, 'NODEV')) {
    return ok({
      exists: false,
      name: device,
      kind: undefined,
      mtu: undefined,
      mac: undefined,
      up: false,
      vxlan: undefined,
    });
  }
  if (output.exitCode !== 0)
    return unknown(`ip link failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  const json = parseJson(output.stdout);
  const link = Array.isArray(json) ? (json[0] as IpLinkJson | undefined) : undefined;
  if (!link) return unknown(noJson('ip link', output));
  const data = link.linkinfo?.info_data;
  return ok({
    exists: true,
    name: link.ifname ?? device,
    kind: link.linkinfo?.info_kind,
    mtu: link.mtu,
    mac: link.address,
    up: (link.flags ?? []).includes('UP'),
    vxlan:
      link.linkinfo?.info_kind === 'vxlan'
        ? { id: data?.id, local: data?.local, port: data?.port }
        : undefined,
  });
}
