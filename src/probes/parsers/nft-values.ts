import type { NumRange } from './firewall-rule.js';

/**
 * Values inside `nft -j` expressions (libnftables-json): a scalar, `{"set": […]}`, `{"range": [a, b]}`,
 * `{"prefix": {"addr", "len"}}`, a list of flags, or `"@name"` for a named set (resolved by the
 * caller). Node output is hostile: every shape is narrowed here, anything else is `undefined`.
 */
export type NftAtom = string | number | { readonly range: NumRange } | { readonly prefix: string };

const MAX_ELEMENTS = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One element of a value, or undefined when its shape is not one netcheck can evaluate. */
function atom(v: unknown): NftAtom | undefined {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (!isObject(v)) return undefined;
  if (Array.isArray(v.range) && v.range.length === 2) {
    const [a, b] = v.range as unknown[];
    if (typeof a === 'number' && typeof b === 'number') return { range: [a, b] };
    return undefined;
  }
  if (isObject(v.prefix) && typeof v.prefix.addr === 'string' && typeof v.prefix.len === 'number')
    return { prefix: `${v.prefix.addr}/${v.prefix.len}` };
  // A set element with options (timeout, comment, counter) wraps its value in {"elem": {"val": …}}.
  if (isObject(v.elem)) return atom(v.elem.val);
  return undefined;
}

/**
 * The elements a value stands for, or undefined if any cannot be read. `sets` resolves `@name`
 * to the elements of that named set in the same table.
 */
export function atoms(
  v: unknown,
  sets: ReadonlyMap<string, readonly unknown[]>,
): readonly NftAtom[] | undefined {
  if (typeof v === 'string' && v.startsWith('@')) {
    const elems = sets.get(v.slice(1));
    return elems ? atoms(elems, new Map()) : undefined;
  }
  const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.set) ? v.set : [v];
  if (list.length > MAX_ELEMENTS) return undefined;
  const out: NftAtom[] = [];
  for (const item of list) {
    const a = atom(item);
    if (a === undefined) return undefined;
    out.push(a);
  }
  return out;
}

const SERVICES: Readonly<Record<string, number>> = {
  ssh: 22,
  domain: 53,
  http: 80,
  https: 443,
  'sun-sr-https': 6443,
  kubernetes: 6443,
};

/** Ports as ranges; undefined when one is a name netcheck does not know. */
export function portRanges(values: readonly NftAtom[]): NumRange[] | undefined {
  const out: NumRange[] = [];
  for (const v of values) {
    if (typeof v === 'number') out.push([v, v]);
    else if (typeof v === 'string' && /^\d+$/.test(v)) out.push([Number(v), Number(v)]);
    else if (typeof v === 'string' && SERVICES[v] !== undefined) out.push([SERVICES[v]!, SERVICES[v]!]);
    else if (typeof v === 'object' && 'range' in v) out.push(v.range);
    else return undefined;
  }
  return out;
}

const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
  'info-request': 15,
  'info-reply': 16,
  'address-mask-request': 17,
  'address-mask-reply': 18,
};

/** ICMP types by number (names as nft and iptables print them); undefined for an unknown name. */
export function icmpTypes(values: readonly NftAtom[]): number[] | undefined {
  const out: number[] = [];
  for (const v of values) {
    if (typeof v === 'number') out.push(v);
    else if (typeof v === 'string' && /^\d+$/.test(v)) out.push(Number(v));
    else if (typeof v === 'string' && ICMP_TYPES[v] !== undefined) out.push(ICMP_TYPES[v]!);
    else if (typeof v === 'object' && 'range' in v) {
      for (let t = v.range[0]; t <= v.range[1] && t < 256; t++) out.push(t);
    } else return undefined;
  }
  return out;
}

/** iptables' `--icmp-type 8`, `8/0`, `echo-request`, `any`. */
export function icmpTypeWord(word: string): number[] | undefined {
  if (word === 'any') return Array.from({ length: 256 }, (_, i) => i);
  const type = word.split('/')[0] ?? '';
  return icmpTypes([type]);
}

const PROTOCOLS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'icmpv6' };

/** Protocol names as nft/iptables print them, numbers turned into names. */
export function protocolNames(values: readonly NftAtom[]): string[] | undefined {
  const out: string[] = [];
  for (const v of values) {
    if (typeof v === 'object') return undefined;
    const s = String(v).toLowerCase();
    out.push(PROTOCOLS[s] ?? s);
  }
  return out;
}

/** A value as nft prints it, for the rule's readable text. */
export function renderValue(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(',');
  if (!isObject(v)) return '?';
  if (Array.isArray(v.set)) return `{ ${v.set.slice(0, 50).map(renderValue).join(', ')} }`;
  if (Array.isArray(v.range)) return v.range.map(renderValue).join('-');
  if (isObject(v.prefix)) return `${renderValue(v.prefix.addr)}/${renderValue(v.prefix.len)}`;
  if (isObject(v.elem)) return renderValue(v.elem.val);
  return `<${Object.keys(v)[0] ?? '?'}>`;
}

export { isObject };
