import { catalogEntry } from '../catalog.js';
import { checkRef } from '../check-id.js';
import type { Rule } from './rule.js';

/** Nothing listens on the API server port on the control plane, and connections are refused. */
export const apiserverDownRule: Rule = {
  id: 'apiserver-down',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    const listening = checkRef('apiserver-listening', cp);
    const tcpRef = checkRef('tcp-apiserver', target);
    if (!checks.failed(listening)) return [];
    const tcp = checks.get(tcpRef);
    if (tcp?.status === 'pass') return [];
    return [
      {
        id: 'apiserver-down',
        node: cp,
        cause: `Nothing listens on :${view.facts.apiServer.port} on ${cp}: the API server is not running.`,
        evidence: [...checks.get(listening)!.evidence, ...(tcp?.evidence ?? [])],
        confidence: tcp?.detail.startsWith('refused') ? 'high' : 'medium',
        explainsChecks: [tcpRef.key, checkRef('https-apiserver', target).key, listening.key],
        explainsFindings: ['apiserver-port-blocked'],
        fix: catalogEntry('apiserver-down').fix,
      },
    ];
  },
};
