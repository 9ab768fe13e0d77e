import { type IptablesRule, isDropping, portMatches } from '../../probes/parsers/iptables-save.js';
import { PROBE } from '../../probes/probe-registry.js';
import { cidrContains, parseCidr, parseIpv4 } from '../cidr.js';
import type { Evidence } from '../evidence.js';
import type { FactView } from '../fact-view.js';

/** Built-in chains that carry traffic to or from the node itself (FORWARD is for routed/pod traffic). */
const LOCAL_CHAINS = new Set(['INPUT', 'OUTPUT']);
const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

function addressMatches(spec: string | undefined, address: string | undefined): boolean {
  if (!spec || !address) return true;
  const net = parseCidr(spec);
  const ip = parseIpv4(address);
  if (!net || ip === undefined) return true; // a name or IPv6: cannot rule it out
  return cidrContains(net, ip);
}

export interface TrafficSpec {
  readonly protocol: 'icmp' | 'tcp' | 'udp';
  readonly dport?: number;
  /** INPUT on the receiver or OUTPUT on the sender. */
  readonly direction: 'in' | 'out';
  readonly peer: string | undefined;
  /** Only count rules that name this protocol. */
  readonly explicitProtocol?: boolean;
}

/**
 * The DROP/REJECT rules on a node that would stop this traffic, in iptables' filter table only.
 * Kept for callers on other branches; the catalog's firewall rules read every layer through
 * diagnosis/firewall/ (flowDrops), which this does not. Custom chains are included because
 * firewalls (ufw, firewalld, KUBE-FIREWALL) hang their rules there; negated matches are skipped.
 */
export function blockingRules(view: FactView, node: string, traffic: TrafficSpec): IptablesRule[] {
  const parsed = view.parsed(node, PROBE.iptables);
  if (parsed.status !== 'ok') return [];
  const chain = traffic.direction === 'in' ? 'INPUT' : 'OUTPUT';
  return parsed.value.rules.filter((rule) => {
    if (rule.table !== 'filter' || !isDropping(rule) || rule.negatedProtocol) return false;
    if (rule.chain !== chain && (BUILTIN.has(rule.chain) || LOCAL_CHAINS.has(rule.chain))) return false;
    if (rule.protocol && rule.protocol !== traffic.protocol && rule.protocol !== 'all') return false;
    // A catch-all rule (no -p) drops ICMP too, but it is not evidence that ICMP *alone* is blocked.
    if (traffic.explicitProtocol && rule.protocol !== traffic.protocol) return false;
    if (traffic.dport !== undefined && !portMatches(rule, traffic.dport)) return false;
    if (traffic.dport === undefined && rule.dports.length > 0) return false;
    const peerSpec = traffic.direction === 'in' ? rule.source : rule.destination;
    return addressMatches(peerSpec, traffic.peer);
  });
}

export function ruleEvidence(
  view: FactView,
  node: string,
  rules: readonly IptablesRule[],
  note: string,
): Evidence {
  return view.evidence(
    node,
    PROBE.iptables,
    rules.map((r) => (r.table === 'filter' ? r.line : `*${r.table} ${r.line}`)),
    note,
  );
}
