import {
  commonFailure,
  firstLine,
  ok,
  type Parsed,
  type ProbeOutput,
  parseJson,
  unknown,
} from './probe-output.js';

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

/** `ip -j -d link show dev X`. A missing device is a fact ("does not exist"), not an unknown. */
export function parseLink(output: ProbeOutput, device: string): Parsed<LinkInfo> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    if (/does not exist|Cannot find device/i.test(output.stderr)) {
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
    return unknown(`ip link failed (exit ${output.exitCode}: ${firstLine(output.stderr)})`);
  }
  const json = parseJson(output.stdout);
  const link = Array.isArray(json) ? (json[0] as IpLinkJson | undefined) : undefined;
  if (!link)
    return unknown(
      output.truncated
        ? 'ip link output was truncated'
        : 'ip link printed no JSON (iproute2 too old for -j?)',
    );
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
  if (!Array.isArray(json))
    return unknown(output.truncated ? 'ip addr output was truncated' : 'ip addr printed no JSON');
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
