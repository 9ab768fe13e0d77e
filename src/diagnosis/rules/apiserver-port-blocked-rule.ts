import { checkRef } from '../check-id.js';
import type { Finding } from '../finding.js';
import { blockedFindings, mayFinding } from '../firewall/blocked-findings.js';
import { failedFlows } from '../firewall/failed-flows.js';
import { pathFix } from '../firewall/firewall-hit-text.js';
import type { Rule } from './rule.js';

/**
 * TCP to the API server fails and a firewall rule on either end (any layer) drops or rejects it;
 * or it times out while ping works and the API server listens, with no rule on either node.
 */
export const apiserverPortBlockedRule: Rule = {
  id: 'apiserver-port-blocked',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const tcpRef = checkRef('tcp-apiserver', target);
    const httpsRef = checkRef('https-apiserver', target);
    const pingRef = checkRef('ping-control-plane', target);
    const listeningRef = checkRef('apiserver-listening', cp);
    if (!checks.failed(tcpRef)) return [];
    const api = view.facts.apiServer;
    const pingWorks = checks.passed(pingRef);
    const listening = checks.passed(listeningRef);
    const contrast = [
      ...(pingWorks
        ? checks.get(pingRef)!.evidence.map((e) => ({ ...e, note: 'ping to the same host works' }))
        : []),
      ...(listening
        ? checks.get(listeningRef)!.evidence.map((e) => ({ ...e, note: 'the API server is listening' }))
        : []),
    ];
    const opts = {
      id: 'apiserver-port-blocked' as const,
      flows: failedFlows(view, checks).filter((f) => f.check.kind === 'tcp-apiserver'),
      keep: () => true,
      traffic: `${api.port}/tcp`,
      contrast,
    };
    const blocked = blockedFindings(view, checks, opts);
    // HTTPS rides on the same TCP connection: whatever stops TCP stops it too.
    const findings: Finding[] = blocked.findings.map((f) => ({
      ...f,
      explainsChecks: [...new Set([...f.explainsChecks, tcpRef.key, httpsRef.key])],
    }));
    if (findings.length > 0 || blocked.unmatched.length === 0) return findings;
    const tcp = checks.get(tcpRef)!;
    if (blocked.may.length > 0) {
      const may = mayFinding(view, opts, blocked.unmatched, blocked.may);
      return [{ ...may, explainsChecks: [tcpRef.key, httpsRef.key] }];
    }
    if (!(pingWorks && listening && tcp.detail.startsWith('timeout'))) return [];
    const unread =
      blocked.unreadable.length > 0 ? ` (not all of it could be read: ${blocked.unreadable.join('; ')})` : '';
    return [
      {
        id: 'apiserver-port-blocked',
        node: target,
        cause:
          cp === target && view.node(cp)?.host === api.host
            ? `${api.port}/tcp from ${target} to its own address ${api.host} times out while ping works and the API server listens, and no firewall rule on ${target} drops it${unread}.`
            : `${api.port}/tcp from ${target} to ${api.host} times out while ping works and the API server listens, and no firewall rule on either node drops it${unread}: something on the path between them does.`,
        evidence: [...tcp.evidence, ...contrast],
        confidence: 'medium',
        explainsChecks: [tcpRef.key, httpsRef.key],
        explainsFindings: [],
        fix: pathFix(target, cp),
      },
    ];
  },
};
