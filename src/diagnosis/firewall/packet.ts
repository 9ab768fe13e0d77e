import type { FwCond, NumRange } from '../../probes/parsers/firewall-rule.js';
import { cidrContains, parseCidr, parseIpv4 } from '../cidr.js';

/** Three-valued: a condition netcheck cannot evaluate "may" match, never "does". */
export type Tri = 'yes' | 'no' | 'maybe';

/** The packet of a failed check, as one hook of one node sees it. */
export interface Packet {
  readonly l4proto: 'icmp' | 'tcp' | 'udp';
  readonly saddr: string;
  readonly daddr: string;
  readonly sport?: NumRange;
  readonly dport?: NumRange;
  readonly icmpType?: number;
  /** Set on the way in: the device it arrived on (name undefined: an uplink whose name is not known). */
  readonly iif?: { readonly name: string | undefined };
  /** Set on the way out. */
  readonly oif?: { readonly name: string | undefined };
  readonly ctState: 'new' | 'established';
  readonly ctStatus: readonly string[];
  /** A rule on the path may have set a mark: mark matches are then "maybe". */
  readonly markUnknown?: boolean;
}

/** Linux's default ip_local_port_range: where a client's (and VXLAN's) source port comes from. */
export const EPHEMERAL: NumRange = [32768, 60999];

const not = (t: Tri): Tri => (t === 'yes' ? 'no' : t === 'no' ? 'yes' : 'maybe');

export function and(values: Iterable<Tri>): Tri {
  let result: Tri = 'yes';
  for (const v of values) {
    if (v === 'no') return 'no';
    if (v === 'maybe') result = 'maybe';
  }
  return result;
}

function rangesCover(rule: readonly NumRange[], value: NumRange): Tri {
  if (rule.some(([a, b]) => a <= value[0] && value[1] <= b)) return 'yes';
  if (rule.every(([a, b]) => b < value[0] || a > value[1])) return 'no';
  return 'maybe';
}

function addressIn(cidrs: readonly string[], address: string): Tri {
  const ip = parseIpv4(address);
  let result: Tri = 'no';
  for (const c of cidrs) {
    const net = parseCidr(c);
    if (!net || ip === undefined) result = 'maybe';
    else if (cidrContains(net, ip)) return 'yes';
  }
  return result;
}

/** iptables `eth+`, nft `eth*`: a trailing wildcard. */
function ifaceIs(names: readonly string[], iface: { name: string | undefined } | undefined): Tri {
  if (!iface) return 'no'; // no input device on the way out, none for output on the way in
  let result: Tri = 'no';
  for (const n of names) {
    const prefix = n.endsWith('+') || n.endsWith('*') ? n.slice(0, -1) : undefined;
    if (iface.name === undefined) {
      // Traffic from another host never arrives on (or leaves by) loopback.
      if (n !== 'lo') result = 'maybe';
    } else if (prefix !== undefined ? iface.name.startsWith(prefix) : iface.name === n) return 'yes';
  }
  return result;
}

function positive(c: Exclude<FwCond, { kind: 'unknown' }>, p: Packet): Tri {
  switch (c.kind) {
    case 'l4proto':
      return c.values.includes(p.l4proto) || c.values.includes('all') ? 'yes' : 'no';
    case 'saddr':
      return addressIn(c.cidrs, p.saddr);
    case 'daddr':
      return addressIn(c.cidrs, p.daddr);
    case 'icmp-type':
      return p.icmpType !== undefined && c.types.includes(p.icmpType) ? 'yes' : 'no';
    case 'iif':
      return ifaceIs(c.names, p.iif);
    case 'oif':
      return ifaceIs(c.names, p.oif);
    case 'ct-state':
      return c.states.includes(p.ctState) ? 'yes' : 'no';
    case 'ct-status':
      return c.statuses.some((s) => p.ctStatus.includes(s)) ? 'yes' : 'no';
    case 'mark':
      if (p.markUnknown) return 'maybe';
      return (0 & c.mask) === c.value ? 'yes' : 'no';
    case 'nfproto':
      return c.values.includes('ipv4') || c.values.includes('inet') ? 'yes' : 'no';
    case 'dport':
    case 'sport': {
      const port = c.kind === 'dport' ? p.dport : p.sport;
      return port ? rangesCover(c.ranges, port) : 'no';
    }
  }
}

/** Does one condition hold for the packet? */
export function condMatches(c: FwCond, p: Packet): Tri {
  if (c.kind === 'unknown') return 'maybe';
  // A header field of another protocol never matches, negated or not (nft adds the protocol as a dependency).
  if (c.kind === 'icmp-type' && p.l4proto !== 'icmp') return 'no';
  if (
    (c.kind === 'dport' || c.kind === 'sport') &&
    (p.l4proto === 'icmp' || (c.proto !== 'th' && c.proto !== p.l4proto))
  )
    return 'no';
  const t = positive(c, p);
  return c.negate ? not(t) : t;
}

export const ruleMatches = (conds: readonly FwCond[], p: Packet): Tri =>
  and(conds.map((c) => condMatches(c, p)));
