import { type CheckKey, checkKey, checkRef } from '../check-id.js';
import type { CheckIndex } from '../check-index.js';
import type { FactView } from '../fact-view.js';
import type { Finding } from '../finding.js';
import { blockedFindings, mayFinding } from '../firewall/blocked-findings.js';
import { failedFlows, VXLAN_PORT } from '../firewall/failed-flows.js';
import { pathFix } from '../firewall/firewall-hit-text.js';
import { peerForOverlayAddress } from '../overlay-peer.js';
import { peerSideCause } from './peer-side-rules.js';
import type { Rule } from './rule.js';

function underlayWorks(view: FactView, checks: CheckIndex, peer: string): boolean {
  const target = view.target.name;
  if (peer === view.facts.controlPlane) return checks.passed(checkRef('ping-control-plane', target));
  return checks.passed(checkRef('underlay-ping', target, peer));
}

/**
 * The overlay ping to a peer's flannel.1 fails and a rule (any layer) drops UDP 8472; or, with the
 * underlay ping to it working, nothing on either node does (the path between them).
 */
export const vxlan8472BlockedRule: Rule = {
  id: 'vxlan-8472-blocked',
  evaluate(view, checks) {
    const target = view.target.name;
    const overlayExplainedElsewhere =
      checks.failed(checkRef('vxlan-local', target)) || checks.failed(checkRef('vtep-mac', target));
    const overlay = failedFlows(view, checks).filter(
      (f) =>
        f.proto === 'udp' &&
        f.check.kind === 'overlay-ping' &&
        f.check.peer !== undefined &&
        peerForOverlayAddress(view, f.check.peer) !== undefined,
    );
    // A rule that drops the VXLAN is named whatever else fails: a default-deny firewall on a peer
    // stops its underlay too, and the same finding explains those checks (blockedFindings). Only
    // blaming the path, or a rule that merely may match, needs the underlay to work: otherwise
    // the overlay is dead for the underlay's reason.
    const flows = overlay.filter((f) =>
      underlayWorks(view, checks, peerForOverlayAddress(view, f.check.peer!)!),
    );
    const traffic = `VXLAN (${VXLAN_PORT}/udp)`;
    const opts = { id: 'vxlan-8472-blocked' as const, flows, keep: () => true, traffic };
    const blocked = blockedFindings(view, checks, opts);
    const dropped = blockedFindings(view, checks, { ...opts, flows: overlay }).findings;
    const dfOf = (keys: readonly CheckKey[]) =>
      overlay
        .filter((f) => keys.includes(checkKey(f.check)))
        .map((f) => checkRef('overlay-df-ping', target, f.check.peer!).key);
    const findings: Finding[] = dropped.map((f) => ({
      ...f,
      explainsChecks: [...new Set([...f.explainsChecks, ...dfOf(f.explainsChecks)])],
    }));
    const explained = new Set(findings.flatMap((f) => f.explainsChecks));
    // A flow nothing drops to a peer whose own facts say why its overlay is dead (no flannel.1,
    // the wrong address) is that cause's (peer-side-rules.ts), not the path's.
    const left = blocked.unmatched.filter(
      (f) =>
        !explained.has(checkKey(f.check)) &&
        !peerSideCause(view, peerForOverlayAddress(view, f.check.peer!)!)?.stops.has(f.check.kind),
    );
    if (left.length === 0 || (blocked.may.length === 0 && overlayExplainedElsewhere)) return findings;
    const keys = left.map((f) => checkKey(f.check));
    if (blocked.may.length > 0) {
      const may = mayFinding(view, opts, left, blocked.may);
      return [...findings, { ...may, explainsChecks: [...keys, ...dfOf(keys)] }];
    }
    const peers = [...new Set(left.map((f) => peerForOverlayAddress(view, f.check.peer!)!))];
    const unread =
      blocked.unreadable.length > 0 ? ` (not all of it could be read: ${blocked.unreadable.join('; ')})` : '';
    findings.push({
      id: 'vxlan-8472-blocked',
      node: target,
      cause: `Overlay traffic from ${target} to ${peers.join(', ')} dies although the node network works, and no firewall rule on either end drops ${traffic}${unread}: something on the path between them does (a security group, a firewall in between).`,
      evidence: left.flatMap((f) => f.check.evidence),
      confidence: 'medium',
      explainsChecks: [...keys, ...dfOf(keys)],
      explainsFindings: [],
      fix: pathFix(target, peers.join('/')),
    });
    return findings;
  },
};
