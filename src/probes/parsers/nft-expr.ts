import type { FwCond } from './firewall-rule.js';
import {
  atoms,
  icmpTypes,
  isObject,
  type NftAtom,
  portRanges,
  protocolNames,
  renderValue,
} from './nft-values.js';

/**
 * One `nft -j` expression at a time: its readable text (as nft prints it, near enough to find it
 * by its handle) and, for a `match`, the condition the evaluator reads. Hostile input: every shape
 * is narrowed, anything else is an `unknown` condition.
 */

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One expression's key and body (`{"match": {…}}` → ['match', {…}]). */
export function entry(e: unknown): [string, unknown] | undefined {
  if (!isObject(e)) return undefined;
  const keys = Object.keys(e);
  return keys.length === 1 ? [keys[0]!, e[keys[0]!]] : undefined;
}

function leftText(left: unknown): string {
  const [key, body] = entry(left) ?? ['?', undefined];
  if (!isObject(body)) return `<${key}>`;
  if (key === 'payload')
    return body.protocol ? `${renderValue(body.protocol)} ${renderValue(body.field)}` : '@payload';
  if (key === 'meta') {
    const k = renderValue(body.key);
    return ['iifname', 'oifname', 'iif', 'oif', 'mark'].includes(k) ? k : `meta ${k}`;
  }
  if (key === 'ct') return `ct ${renderValue(body.key)}`;
  return `<${key}>`;
}

/** The rule as nft would print it (near enough to find it in `nft -a list ruleset` by its handle). */
export function exprText(e: unknown): string {
  const [key, body] = entry(e) ?? ['?', undefined];
  switch (key) {
    case 'match': {
      if (!isObject(body)) return '<match>';
      const op = str(body.op) ?? '==';
      return `${leftText(body.left)} ${op === '==' || op === 'in' ? '' : `${op} `}${renderValue(body.right)}`;
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'notrack':
    case 'masquerade':
      return key;
    case 'reject':
      return isObject(body) && body.expr !== undefined
        ? `reject with ${renderValue(body.type)} ${renderValue(body.expr)}`
        : 'reject';
    case 'jump':
    case 'goto':
      return `${key} ${isObject(body) ? renderValue(body.target) : '?'}`;
    case 'counter':
      return 'counter';
    case 'log':
      return 'log';
    case 'vmap':
      return isObject(body) ? `${leftText(body.key)} vmap ${renderValue(body.data)}` : 'vmap';
    case 'xt':
      return isObject(body) ? `xt ${renderValue(body.type)} ${renderValue(body.name)}` : 'xt';
    default:
      return key;
  }
}

const PORT_PROTOS = new Set(['tcp', 'udp', 'th', 'sctp', 'udplite', 'dccp']);

/** A `match` expression as a condition; anything netcheck cannot evaluate is `unknown`. */
export function matchCond(body: unknown, sets: ReadonlyMap<string, readonly unknown[]>): FwCond {
  const text = exprText({ match: body });
  const unknownCond: FwCond = { kind: 'unknown', text };
  if (!isObject(body)) return unknownCond;
  const op = str(body.op) ?? '==';
  const values = atoms(body.right, sets);
  const [lk, lb] = entry(body.left) ?? ['', undefined];
  if (!values || !isObject(lb)) return unknownCond;
  const negate = op === '!=';
  const equality = op === '==' || op === 'in' || negate;
  if (lk === 'payload') {
    const proto = str(lb.protocol);
    const field = str(lb.field);
    if (proto === 'ip' && (field === 'saddr' || field === 'daddr') && equality) {
      const cidrs = values.map((v) =>
        typeof v === 'string' ? v : typeof v === 'object' && 'prefix' in v ? v.prefix : undefined,
      );
      if (cidrs.some((c) => c === undefined)) return unknownCond;
      return { kind: field, negate, cidrs: cidrs as string[] };
    }
    if (proto === 'ip' && field === 'protocol' && equality) {
      const names = protocolNames(values);
      return names ? { kind: 'l4proto', negate, values: names } : unknownCond;
    }
    if (proto && PORT_PROTOS.has(proto) && (field === 'dport' || field === 'sport')) {
      const ranges = equality ? portRanges(values) : comparison(op, values);
      return ranges ? { kind: field, negate, proto, ranges } : unknownCond;
    }
    if (proto === 'icmp' && field === 'type' && equality) {
      const types = icmpTypes(values);
      return types ? { kind: 'icmp-type', negate, types } : unknownCond;
    }
    // Any IPv6 header field: an IPv4 packet never has one.
    if (proto === 'ip6' || proto === 'icmpv6') return { kind: 'nfproto', negate: false, values: ['ipv6'] };
    return unknownCond;
  }
  if (lk === 'meta' && equality) {
    const key = str(lb.key);
    const words = values.map((v) => (typeof v === 'object' ? undefined : String(v)));
    if (words.some((w) => w === undefined)) return unknownCond;
    const list = words as string[];
    if (key === 'l4proto') {
      const names = protocolNames(values);
      return names ? { kind: 'l4proto', negate, values: names } : unknownCond;
    }
    if (key === 'iifname' || key === 'oifname')
      return { kind: key === 'iifname' ? 'iif' : 'oif', negate, names: list };
    if (key === 'nfproto') return { kind: 'nfproto', negate, values: list };
    if (key === 'protocol')
      return {
        kind: 'nfproto',
        negate,
        values: list.map((w) => (w === 'ip' ? 'ipv4' : w === 'ip6' ? 'ipv6' : w)),
      };
    if (key === 'mark' && list.length === 1 && /^(0x[0-9a-f]+|\d+)$/i.test(list[0]!))
      return { kind: 'mark', negate, value: Number(list[0]), mask: 0xffffffff };
    return unknownCond;
  }
  if (lk === 'ct' && equality) {
    const key = str(lb.key);
    const list = values.filter((v): v is string => typeof v === 'string');
    if (list.length !== values.length) return unknownCond;
    if (key === 'state') return { kind: 'ct-state', negate, states: list };
    if (key === 'status') return { kind: 'ct-status', negate, statuses: list };
  }
  return unknownCond;
}

/** `tcp dport < 1024` and friends as a range. */
function comparison(op: string, values: readonly NftAtom[]): [number, number][] | undefined {
  const n = values.length === 1 && typeof values[0] === 'number' ? values[0] : undefined;
  if (n === undefined) return undefined;
  if (op === '<') return [[0, n - 1]];
  if (op === '<=') return [[0, n]];
  if (op === '>') return [[n + 1, 65535]];
  if (op === '>=') return [[n, 65535]];
  return undefined;
}
