import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';
import type { FirewallRuleRef, Remedy } from '../remedy.js';
import type { FirewallHit } from './flow-drops.js';

/** The same rule (or policy) wherever it was hit from. */
export function hitId(h: FirewallHit): string {
  const { chain, rule } = h.point;
  const which = rule ? (rule.handle !== undefined ? `#${rule.handle}` : rule.text) : 'policy';
  return [h.node, h.layer.name, chain.family, chain.table, chain.name, which].join('\u0000');
}

export function uniqueHits(hits: readonly FirewallHit[]): FirewallHit[] {
  const seen = new Map<string, FirewallHit>();
  for (const h of hits) if (!seen.has(hitId(h))) seen.set(hitId(h), h);
  return [...seen.values()];
}

/** The rule as its tool prints it, with where it lives. */
export function hitLine(h: FirewallHit): string {
  const { chain, rule } = h.point;
  if (h.layer.name === 'nftables') {
    const where = `table ${chain.family} ${chain.table} chain ${chain.name}`;
    const base = chain.hook
      ? ` (hook ${chain.hook} priority ${chain.priority ?? 0}, policy ${chain.policy ?? 'accept'})`
      : '';
    return rule
      ? `${where}: ${rule.text} # handle ${rule.handle ?? '?'}`
      : `${where}${base}: policy drop, and no rule before it accepts this packet`;
  }
  const table = chain.table === 'filter' ? '' : `*${chain.table} `;
  return rule
    ? `${table}${rule.text}`
    : `${table}:${chain.name} DROP (the chain's policy; no rule before it accepts this packet)`;
}

/** Short, for a cause sentence: "an nftables rule in table inet filter, chain input (handle 8)". */
export function hitPlace(h: FirewallHit): string {
  const { chain, rule } = h.point;
  const what = rule ? 'rule' : 'policy';
  if (h.layer.name === 'nftables')
    return `an nftables ${what} in table ${chain.family} ${chain.table}, chain ${chain.name}${rule?.handle !== undefined ? ` (handle ${rule.handle})` : ''}`;
  return `an ${h.layer.name} ${what} in table ${chain.table}, chain ${chain.name}`;
}

/** Evidence per node and layer: the probe that read the rules, and the rules that drop. */
export function hitEvidence(
  view: FactView,
  hits: readonly FirewallHit[],
  note: (h: FirewallHit) => string,
): Evidence[] {
  const groups = new Map<string, FirewallHit[]>();
  for (const h of uniqueHits(hits)) {
    const key = `${h.node}\u0000${h.layer.name}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  return [...groups.values()].map((g) =>
    view.evidence(
      g[0]!.node,
      g[0]!.layer.probe,
      g.map(hitLine),
      `${g[0]!.layer.name}: ${note(g[0]!)} (${g[0]!.leg.what})`,
    ),
  );
}

const NFT_FAMILIES = new Set(['ip', 'ip6', 'inet', 'netdev', 'bridge', 'arp']);
/** Names that go into a delete command: nft parses its arguments as one line, so only plain names. */
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const XTABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/** How the fix addresses this rule; undefined for a policy, or a name netcheck will not put in a command. */
export function ruleRef(h: FirewallHit): FirewallRuleRef | undefined {
  const { chain, rule } = h.point;
  if (!rule) return undefined;
  if (h.layer.name === 'nftables') {
    if (rule.handle === undefined || !NFT_FAMILIES.has(chain.family)) return undefined;
    if (!SAFE_NAME.test(chain.table) || !SAFE_NAME.test(chain.name)) return undefined;
    return {
      layer: 'nftables',
      family: chain.family,
      table: chain.table,
      chain: chain.name,
      handle: rule.handle,
      text: rule.text,
    };
  }
  if (!XTABLES.has(chain.table) || !rule.text.startsWith('-A ')) return undefined;
  return { layer: h.layer.name, table: chain.table, line: rule.text };
}

/**
 * The rule names the traffic (a protocol, a port, an ICMP type): deleting it removes that block.
 * A catch-all (firewalld's final reject, `-j DROP` with only state or interface matches) is the
 * firewall itself: deleting it would open the node to everything, so no plan does that.
 */
export function namesTraffic(h: FirewallHit): boolean {
  return (
    h.point.rule?.conds.some(
      (c) =>
        !('negate' in c && c.negate) &&
        (c.kind === 'l4proto' || c.kind === 'dport' || c.kind === 'icmp-type'),
    ) ?? false
  );
}

/** Delete exactly the rules hit on one node; undefined if any of them cannot be addressed (a policy, a catch-all). */
export function deleteRemedy(node: string, hits: readonly FirewallHit[]): Remedy | undefined {
  const mine = uniqueHits(hits).filter((h) => h.node === node);
  if (!mine.every(namesTraffic)) return undefined;
  const refs = mine.map(ruleRef);
  if (refs.length === 0 || refs.some((r) => r === undefined)) return undefined;
  return { kind: 'delete-firewall-rules', node, rules: refs as FirewallRuleRef[] };
}

/** The fix line for a finding: what the plan does, or why there is none. */
export function firewallFix(node: string, hits: readonly FirewallHit[], remedy: Remedy | undefined): string {
  const unique = uniqueHits(hits);
  if (remedy) {
    const n = unique.length;
    return `Delete exactly ${n === 1 ? 'the rule' : `the ${n} rules`} named in the evidence on ${node} (${[...new Set(unique.map((h) => h.layer.name))].join(', ')}), after backing up every ruleset (nft list ruleset and iptables-save of each backend).`;
  }
  if (unique.some((h) => !h.point.rule))
    return `A chain's drop policy on ${node} stops it: add an accept rule for this traffic before the policy applies (netcheck does not change policies, so there is no plan).`;
  if (!unique.every(namesTraffic)) {
    const firewalld = unique.some((h) => h.point.chain.table === 'firewalld');
    return `The rule named in the evidence on ${node} rejects everything not accepted before it, so deleting it would open the node to all traffic: allow this traffic before it instead${firewalld ? ' (firewalld rewrites its table on reload: change the zone, e.g. firewall-cmd --add-icmp-block-inversion or a rich rule)' : ''}. No plan: netcheck does not widen a firewall.`;
  }
  return `Remove or narrow the rule named in the evidence on ${node} by hand (netcheck will not put its names into a command, so there is no plan).`;
}

/** The fix line when nothing on either node drops the traffic: there is nothing to delete there. */
export function pathFix(a: string, b: string): string {
  // Traffic to a node's own address has no path outside it (failed-flows.ts: loopback).
  if (a === b)
    return `Nothing in ${a}'s firewall drops it and the traffic never leaves ${a}, so there is no rule to delete and no path to look at: look at ${a}'s own settings (for ICMP, net.ipv4.icmp_echo_ignore_all). No plan is offered.`;
  return `Nothing on ${a} or ${b} drops it, so there is no rule to delete: look at the path between them (switch or router ACLs, a cloud security group, a host firewall in between). No plan is offered.`;
}
