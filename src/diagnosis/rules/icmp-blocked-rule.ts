import type { FwCond } from '../../probes/parsers/firewall-rule.js';
import { checkKey, checkRef } from '../check-id.js';
import type { Finding } from '../finding.js';
import { blockedFindings, mayFinding } from '../firewall/blocked-findings.js';
import { type FailedFlow, failedFlows, flowsMayDrop } from '../firewall/failed-flows.js';
import { pathFix } from '../firewall/firewall-hit-text.js';
import type { FirewallHit } from '../firewall/flow-drops.js';
import type { Rule } from './rule.js';

/** The rule names ICMP itself: a catch-all drop is evidence that everything is blocked, not ICMP. */
const namesIcmp = (h: FirewallHit): boolean =>
  h.point.rule?.conds.some(
    (c: FwCond) =>
      (c.kind === 'l4proto' && !c.negate && c.values.includes('icmp')) ||
      (c.kind === 'icmp-type' && !c.negate),
  ) ?? false;

/**
 * Pings fail and a firewall rule on either end drops the ICMP (any layer: iptables in either
 * backend and table, native nftables), or ping to the control plane fails while TCP to it works.
 * The overlay pings whose ICMP the same rule drops are folded under it.
 */
export const icmpBlockedRule: Rule = {
  id: 'icmp-blocked',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const tcpRef = checkRef('tcp-apiserver', target);
    const tcpWorks = checks.passed(tcpRef);
    const flows = failedFlows(view, checks).filter((f) => f.proto === 'icmp');
    if (flows.length === 0) return [];
    // Everything else to that peer works: then even a catch-all drop is what stops ICMP.
    const otherWorks = (f: FailedFlow): boolean =>
      f.check.kind === 'ping-control-plane'
        ? tcpWorks
        : f.check.kind === 'underlay-ping' && f.check.peer !== undefined
          ? checks.passed(checkRef('underlay-tcp', target, f.check.peer))
          : false;
    const tcp = checks.get(tcpRef);
    const opts = {
      id: 'icmp-blocked' as const,
      flows,
      keep: (h: FirewallHit, f: FailedFlow) => namesIcmp(h) || otherWorks(f),
      traffic: 'ICMP',
      contrast:
        tcpWorks && tcp ? tcp.evidence.map((e) => ({ ...e, note: 'TCP to the same host works' })) : [],
    };
    const blocked = blockedFindings(view, checks, opts);
    const findings: Finding[] = [...blocked.findings];
    const cpFlow = blocked.unmatched.find((f) => f.check.kind === 'ping-control-plane');
    if (!cpFlow || findings.some((f) => f.explainsChecks.includes(checkKey(cpFlow.check)))) return findings;
    if (blocked.may.length > 0) {
      // It speaks for every failed ICMP flow those same rules may drop (the overlay pings too).
      const mayDrop = new Set(flowsMayDrop(view, blocked.unmatched, blocked.may));
      const mayFlows = blocked.unmatched.filter((f) => f === cpFlow || mayDrop.has(f));
      return [...findings, mayFinding(view, opts, mayFlows, blocked.may)];
    }
    if (!tcpWorks) return findings;
    const unread =
      blocked.unreadable.length > 0 ? ` (not all of it could be read: ${blocked.unreadable.join('; ')})` : '';
    findings.push({
      id: 'icmp-blocked',
      node: target,
      cause:
        cp === target
          ? `ICMP from ${cp} to its own address is dropped while TCP to it works, and no firewall rule on ${cp} drops it${unread}: ${cp} ignores echo requests (icmp_echo_ignore_all).`
          : `ICMP between ${target} and ${cp} is dropped while TCP to ${cp} works, and no firewall rule on either node drops it${unread}: something on the path between them does (a switch or router ACL, a cloud security group, a firewall in between), or ${cp} ignores echo requests (icmp_echo_ignore_all).`,
      evidence: [...cpFlow.check.evidence, ...opts.contrast],
      confidence: 'medium',
      explainsChecks: [checkRef('ping-control-plane', target).key],
      explainsFindings: [],
      fix: pathFix(target, cp),
    });
    return findings;
  },
};
