import { catalogEntry } from '../catalog.js';
import { checkRef } from '../check-id.js';
import type { Finding } from '../finding.js';
import { blockingRules, ruleEvidence } from './filter-rules.js';
import type { Rule } from './rule.js';

/** TCP to the API server fails and a DROP/REJECT rule for its port sits on either end. */
export const apiserverPortBlockedRule: Rule = {
  id: 'apiserver-port-blocked',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const tcpRef = checkRef('tcp-apiserver', target);
    const pingRef = checkRef('ping-control-plane', target);
    const listeningRef = checkRef('apiserver-listening', cp);
    if (!checks.failed(tcpRef)) return [];
    const api = view.facts.apiServer;
    const apiIsCp = view.node(cp)?.host === api.host;
    const onTarget = blockingRules(view, target, {
      protocol: 'tcp',
      dport: api.port,
      direction: 'out',
      peer: api.host,
    });
    const onCp =
      apiIsCp && target !== cp
        ? blockingRules(view, cp, {
            protocol: 'tcp',
            dport: api.port,
            direction: 'in',
            peer: view.target.host,
          })
        : [];
    const pingWorks = checks.passed(pingRef);
    const listening = checks.passed(listeningRef);
    const tcp = checks.get(tcpRef)!;
    const timedOut = tcp.detail.startsWith('timeout');
    if (onTarget.length === 0 && onCp.length === 0 && !(pingWorks && listening && timedOut)) return [];

    const evidence = [...tcp.evidence];
    if (pingWorks)
      evidence.push(
        ...checks.get(pingRef)!.evidence.map((e) => ({ ...e, note: 'ping to the same host works' })),
      );
    if (onCp.length > 0)
      evidence.push(ruleEvidence(view, cp, onCp, `filter rule on ${cp} drops/rejects ${api.port}/tcp`));
    if (onTarget.length > 0)
      evidence.push(
        ruleEvidence(view, target, onTarget, `filter rule on ${target} drops/rejects ${api.port}/tcp`),
      );
    if (listening)
      evidence.push(
        ...checks.get(listeningRef)!.evidence.map((e) => ({ ...e, note: 'the API server is listening' })),
      );

    const where = onCp.length > 0 ? cp : onTarget.length > 0 ? target : undefined;
    const finding: Finding = {
      id: 'apiserver-port-blocked',
      node: where ?? target,
      cause: where
        ? `An iptables rule on ${where} blocks ${api.port}/tcp, so ${target} cannot reach the API server at ${api.host}:${api.port}.`
        : `${api.port}/tcp from ${target} to ${api.host} times out while ping works and the API server listens; something on the path drops it (no rule found on either node).`,
      evidence,
      confidence: where ? 'high' : 'medium',
      explainsChecks: [tcpRef.key, checkRef('https-apiserver', target).key],
      explainsFindings: [],
      fix: catalogEntry('apiserver-port-blocked').fix,
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
