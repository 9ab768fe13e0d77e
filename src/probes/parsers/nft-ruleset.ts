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
import { entry, exprText, matchCond, str } from './nft-expr.js';
import { atoms, isObject } from './nft-values.js';
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
