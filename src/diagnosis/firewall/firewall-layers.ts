import type { FwChain } from '../../probes/parsers/firewall-rule.js';
import { iptablesRuleset } from '../../probes/parsers/iptables-rules.js';
import { PROBE, type ProbeKey } from '../../probes/probe-registry.js';
import type { FactView } from '../fact-view.js';

/** Where a rule lives, as the fix must address it: which tool deletes it. */
export type LayerName = 'iptables-legacy' | 'iptables-nft' | 'iptables' | 'nftables';

export interface FirewallLayer {
  readonly name: LayerName;
  /** The probe whose output holds this layer (its command is shown as evidence). */
  readonly probe: ProbeKey;
  readonly chains: readonly FwChain[];
}

export interface NodeFirewall {
  readonly layers: readonly FirewallLayer[];
  /** Layers that could not be read, with why: a drop there cannot be ruled out. */
  readonly unreadable: readonly string[];
}

/** The tables iptables-nft makes in nftables (they are read through iptables-nft-save instead). */
const XTABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
/** Families whose hooks an IPv4 packet passes through. */
const IPV4_FAMILIES = new Set(['ip', 'inet', 'netdev']);

const cache = new WeakMap<FactView, Map<string, NodeFirewall>>();

/**
 * Every layer that can drop a packet on a node, each rule once: iptables in each backend present
 * (all tables), and native nftables without the tables iptables-nft keeps there.
 */
export function nodeFirewall(view: FactView, node: string): NodeFirewall {
  const byNode = cache.get(view) ?? new Map<string, NodeFirewall>();
  cache.set(view, byNode);
  const known = byNode.get(node);
  if (known) return known;
  const layers: FirewallLayer[] = [];
  const unreadable: string[] = [];
  const recorded = (key: ProbeKey) => view.output(node, key) !== undefined;
  const legacy = view.parsed(node, PROBE.iptablesLegacySave);
  const nftBackend = view.parsed(node, PROBE.iptablesNftSave);
  if (legacy.status === 'ok' && legacy.value.present)
    layers.push({
      name: 'iptables-legacy',
      probe: PROBE.iptablesLegacySave,
      chains: iptablesRuleset(legacy.value.dump).chains,
    });
  else if (legacy.status === 'unknown' && recorded(PROBE.iptablesLegacySave))
    unreadable.push(`iptables-legacy: ${legacy.reason}`);
  if (nftBackend.status === 'ok' && nftBackend.value.present)
    layers.push({
      name: 'iptables-nft',
      probe: PROBE.iptablesNftSave,
      chains: iptablesRuleset(nftBackend.value.dump).chains,
    });
  else if (nftBackend.status === 'unknown' && recorded(PROBE.iptablesNftSave))
    unreadable.push(`iptables-nft: ${nftBackend.reason}`);
  const present = (p: typeof legacy) => p.status === 'ok' && p.value.present;
  // Neither backend's own tool (an older iptables), or facts recorded before they were probed:
  // read the rules through plain iptables-save.
  if (
    !present(legacy) &&
    !present(nftBackend) &&
    !(recorded(PROBE.iptablesLegacySave) && legacy.status === 'unknown')
  ) {
    const plain = view.parsed(node, PROBE.iptables);
    if (plain.status === 'ok')
      layers.push({ name: 'iptables', probe: PROBE.iptables, chains: iptablesRuleset(plain.value).chains });
    else if (!/missing/.test(plain.reason)) unreadable.push(`iptables: ${plain.reason}`);
  }
  const nft = view.parsed(node, PROBE.nftRuleset);
  if (nft.status === 'unknown') {
    if (recorded(PROBE.nftRuleset)) unreadable.push(`nftables: ${nft.reason}`);
  } else if (nft.value.present) {
    const xtables =
      nftBackend.status === 'ok' ? new Set(Object.keys(nftBackend.value.dump.policies)) : XTABLES; // iptables-nft-save could not be read: assume its usual tables are its own
    const own = (c: FwChain) => c.family === 'ip' && xtables.has(c.table);
    layers.push({
      name: 'nftables',
      probe: PROBE.nftRuleset,
      chains: nft.value.chains.filter((c) => IPV4_FAMILIES.has(c.family) && !own(c)),
    });
    if (nft.value.cut > 0) unreadable.push(`nftables: ${nft.value.cut} rules beyond what netcheck reads`);
  }
  const result = { layers, unreadable };
  byNode.set(node, result);
  return result;
}
