import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import {
  type FwChain,
  type FwCond,
  type FwRule,
  type FwRuleset,
  type FwVerdict,
  type Hook,
  MAX_FW_RULES,
  RECOGNISED_HOOKS,
} from './firewall-rule.js';
import {
  atoms,
  icmpTypes,
  isObject,
  type NftAtom,
  portRanges,
  protocolNames,
  renderValue,
} from './nft-values.js';
import { commonFailure, firstLine, parseJson } from './parse-helpers.js';

/** `nft -j list ruleset`, every family: native tables and the ones iptables-nft keeps there. */
export interface NftRuleset extends FwRuleset {
  /** False when the node has no `nft` (the probe printed NOTOOL): nothing is known from nftables. */
  readonly present: boolean;
  readonly version: string | undefined;
  readonly tables: readonly { readonly family: string; readonly name: string }[];
  /** Rules left out because the ruleset was larger than netcheck reads. */
  readonly cut: number;
}

const MAX_EXPRS = 64;
const MAX_TEXT = 400;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One expression's key and body (`{"match": {…}}` → ['match', {…}]). */
function entry(e: unknown): [string, unknown] | undefined {
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
function exprText(e: unknown): string {
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
function matchCond(body: unknown, sets: ReadonlyMap<string, readonly unknown[]>): FwCond {
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

function verdictOf(key: string, body: unknown): FwVerdict | undefined {
  switch (key) {
    case 'accept':
    case 'drop':
    case 'reject':
    case 'return':
    case 'continue':
      return { kind: key };
    case 'jump':
    case 'goto': {
      const target = isObject(body) ? str(body.target) : undefined;
      return target ? { kind: key, target } : { kind: 'unknown', text: key };
    }
    case 'snat':
    case 'dnat':
    case 'masquerade':
    case 'redirect':
      return { kind: 'nat' };
    case 'queue':
    case 'fwd':
    case 'synproxy':
    case 'tproxy':
      return { kind: 'unknown', text: key };
    default:
      return undefined;
  }
}

/** `ct state vmap { invalid : drop, new : jump x }` (firewalld and hardening guides use it). */
function vmapVerdict(body: unknown): FwVerdict {
  const text = exprText({ vmap: body });
  if (!isObject(body) || !isObject(body.data) || !Array.isArray(body.data.set))
    return { kind: 'unknown', text };
  const [lk, lb] = entry(body.key) ?? ['', undefined];
  if (lk !== 'ct' || !isObject(lb) || lb.key !== 'state') return { kind: 'unknown', text };
  const entries: { states: string[]; verdict: FwVerdict }[] = [];
  for (const pair of body.data.set.slice(0, 64)) {
    if (!Array.isArray(pair) || pair.length !== 2) return { kind: 'unknown', text };
    const states = atoms(pair[0], new Map())?.filter((s): s is string => typeof s === 'string');
    const [vk, vb] = entry(pair[1]) ?? ['', undefined];
    const verdict = verdictOf(vk, vb);
    if (!states || !verdict) return { kind: 'unknown', text };
    entries.push({ states, verdict });
  }
  return { kind: 'ct-state-map', entries };
}

/** One `{"rule": …}` object's expressions as conditions and the verdict they end in. */
function ruleOf(exprs: readonly unknown[], sets: ReadonlyMap<string, readonly unknown[]>) {
  const conds: FwCond[] = [];
  let verdict: FwVerdict = { kind: 'continue' };
  for (const e of exprs.slice(0, MAX_EXPRS)) {
    const [key, body] = entry(e) ?? ['?', undefined];
    if (key === 'match') {
      conds.push(matchCond(body, sets));
      continue;
    }
    if (key === 'vmap') {
      verdict = vmapVerdict(body);
      break;
    }
    const v = verdictOf(key, body);
    if (v) {
      verdict = v;
      break;
    }
    if (['counter', 'log', 'notrack', 'set', 'ct', 'meta', 'dup'].includes(key)) continue;
    if (key === 'mangle') {
      const target = isObject(body) ? body.key : undefined;
      const meta = isObject(target) && isObject(target.meta) ? target.meta.key : undefined;
      if (meta === 'mark') verdict = { kind: 'set-mark' };
      if (meta === 'mark') break;
      continue;
    }
    // iptables-nft keeps matches it cannot express natively as `xt`; a comment never matters.
    if (key === 'xt' && isObject(body) && body.name === 'comment') continue;
    if (key === 'xt' && isObject(body) && body.type === 'target') {
      verdict = { kind: 'unknown', text: exprText(e) };
      break;
    }
    // limit, quota, xt matches and anything newer: a condition netcheck cannot evaluate.
    conds.push({ kind: 'unknown', text: exprText(e) });
  }
  return { conds, verdict };
}

const chainKey = (family: string, table: string, name: string) => `${family}\u0000${table}\u0000${name}`;

/** Parses `nft -j list ruleset` (libnftables JSON schema 1): chains with hook, priority, policy; rules with handles. */
export function parseNftRuleset(output: ProbeOutput): Parsed<NftRuleset> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode === 0 && output.stdout.trim() === 'NOTOOL')
    return ok({ present: false, version: undefined, tables: [], chains: [], cut: 0 });
  if (output.exitCode !== 0)
    return unknown(`nft failed (exit ${output.exitCode}: ${firstLine(output.stderr)}); it needs root`);
  if (output.truncated) return unknown('nft -j output was truncated: the ruleset is too large to read whole');
  const json = parseJson(output.stdout);
  const items = isObject(json) && Array.isArray(json.nftables) ? json.nftables : undefined;
  if (!items) return unknown('nft -j printed no ruleset JSON (nftables >= 0.9 is needed for -j)');
  let version: string | undefined;
  const tables: { family: string; name: string }[] = [];
  const chains = new Map<string, { chain: Omit<FwChain, 'rules'>; rules: FwRule[] }>();
  const sets = new Map<string, Map<string, readonly unknown[]>>();
  const rules: {
    key: string;
    exprs: unknown[];
    handle: number | undefined;
    comment: string | undefined;
    table: string;
  }[] = [];
  for (const item of items) {
    const [kind, body] = entry(item) ?? ['', undefined];
    if (!isObject(body)) continue;
    const family = str(body.family) ?? '';
    if (kind === 'metainfo') version = str(body.version);
    else if (kind === 'table' && str(body.name)) tables.push({ family, name: str(body.name)! });
    else if (kind === 'set' || kind === 'map') {
      const tableKey = `${family}\u0000${str(body.table) ?? ''}`;
      const bySet = sets.get(tableKey) ?? new Map<string, readonly unknown[]>();
      if (kind === 'set' && str(body.name) && Array.isArray(body.elem)) bySet.set(str(body.name)!, body.elem);
      sets.set(tableKey, bySet);
    } else if (kind === 'chain' && str(body.name) && str(body.table)) {
      const hook = str(body.hook);
      const policy = str(body.policy);
      chains.set(chainKey(family, str(body.table)!, str(body.name)!), {
        chain: {
          family,
          table: str(body.table)!,
          name: str(body.name)!,
          hook: hook && RECOGNISED_HOOKS.has(hook) ? (hook as Hook) : undefined,
          priority: typeof body.prio === 'number' ? body.prio : undefined,
          type: str(body.type),
          policy: policy === 'drop' ? 'drop' : policy === 'accept' ? 'accept' : undefined,
        },
        rules: [],
      });
    } else if (kind === 'rule' && Array.isArray(body.expr)) {
      rules.push({
        key: chainKey(family, str(body.table) ?? '', str(body.chain) ?? ''),
        exprs: body.expr,
        handle: typeof body.handle === 'number' ? body.handle : undefined,
        comment: str(body.comment),
        table: `${family}\u0000${str(body.table) ?? ''}`,
      });
    }
  }
  const kept = rules.slice(0, MAX_FW_RULES);
  for (const r of kept) {
    const chain = chains.get(r.key);
    if (!chain) continue;
    const { conds, verdict } = ruleOf(r.exprs, sets.get(r.table) ?? new Map());
    const text =
      r.exprs.slice(0, MAX_EXPRS).map(exprText).join(' ') +
      (r.comment ? ` comment ${JSON.stringify(r.comment)}` : '');
    chain.rules.push({ conds, verdict, text: text.slice(0, MAX_TEXT), handle: r.handle });
  }
  return ok({
    present: true,
    version,
    tables,
    chains: [...chains.values()].map((c) => ({ ...c.chain, rules: c.rules })),
    cut: rules.length - kept.length,
  });
}
