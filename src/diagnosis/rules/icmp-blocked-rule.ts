import { catalogEntry } from '../catalog.js';
import { checkRef } from '../check-id.js';
import type { Finding } from '../finding.js';
import { blockingRules, ruleEvidence } from './filter-rules.js';
import type { Rule } from './rule.js';

/** Ping to the control plane fails while TCP works, or a filter rule drops ICMP between the two. */
export const icmpBlockedRule: Rule = {
  id: 'icmp-blocked',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const pingRef = checkRef('ping-control-plane', target);
    const tcpRef = checkRef('tcp-apiserver', target);
    if (!checks.failed(pingRef)) return [];
    const targetHost = view.target.host;
    const cpHost = view.node(cp)?.host;
    const onTarget = [
      ...blockingRules(view, target, {
        protocol: 'icmp',
        direction: 'out',
        peer: cpHost,
        explicitProtocol: true,
      }),
      ...(target === cp
        ? []
        : blockingRules(view, target, {
            protocol: 'icmp',
            direction: 'in',
            peer: cpHost,
            explicitProtocol: true,
          })),
    ];
    const onCp =
      target === cp
        ? []
        : [
            ...blockingRules(view, cp, {
              protocol: 'icmp',
              direction: 'in',
              peer: targetHost,
              explicitProtocol: true,
            }),
            ...blockingRules(view, cp, {
              protocol: 'icmp',
              direction: 'out',
              peer: targetHost,
              explicitProtocol: true,
            }),
          ];
    const tcpWorks = checks.passed(tcpRef);
    if (onTarget.length === 0 && onCp.length === 0 && !tcpWorks) return [];

    const ping = checks.get(pingRef)!;
    const tcp = checks.get(tcpRef);
    const evidence = [...ping.evidence];
    if (tcpWorks && tcp)
      evidence.push(...tcp.evidence.map((e) => ({ ...e, note: 'TCP to the same host works' })));
    if (onCp.length > 0) evidence.push(ruleEvidence(view, cp, onCp, `filter rule on ${cp} drops ICMP`));
    if (onTarget.length > 0)
      evidence.push(ruleEvidence(view, target, onTarget, `filter rule on ${target} drops ICMP`));

    const node = onCp.length > 0 ? cp : target;
    const where = onCp.length > 0 ? cp : onTarget.length > 0 ? target : undefined;
    const cause = where
      ? `An iptables rule on ${where} drops ICMP, so ${target} cannot ping ${cp}${tcpWorks ? ' although TCP to it works' : ''}.`
      : `ICMP between ${target} and ${cp} is dropped somewhere on the path while TCP works; no DROP rule was found on either node (check icmp_echo_ignore_all or a network firewall).`;
    const finding: Finding = {
      id: 'icmp-blocked',
      node,
      cause,
      evidence,
      confidence: where ? 'high' : 'medium',
      explainsChecks: [pingRef.key],
      explainsFindings: [],
      fix: catalogEntry('icmp-blocked').fix,
      remedy: where
        ? {
            kind: 'delete-iptables-rules',
            node: where,
            rules: (onCp.length > 0 ? onCp : onTarget).map((r) => ({ table: r.table, line: r.line })),
          }
        : undefined,
    };
    return [finding];
  },
};
