import { catalogEntry } from '../catalog.js';
import { CHECK } from '../checks.js';
import type { Rule } from './rule.js';

/** Nothing listens on the API server port on the control plane, and connections are refused. */
export const apiserverDownRule: Rule = {
  id: 'apiserver-down',
  evaluate(view, checks) {
    const target = view.target.name;
    const cp = view.facts.controlPlane;
    if (!checks.failed(CHECK.apiServerListening, cp)) return [];
    const tcp = checks.get(CHECK.tcpApiServer, target);
    if (tcp?.status === 'pass') return [];
    return [
      {
        id: 'apiserver-down',
        node: cp,
        cause: `Nothing listens on :${view.facts.apiServer.port} on ${cp}: the API server is not running.`,
        evidence: [...checks.get(CHECK.apiServerListening, cp)!.evidence, ...(tcp?.evidence ?? [])],
        confidence: tcp?.detail.startsWith('refused') ? 'high' : 'medium',
        explainsChecks: [
          `${CHECK.tcpApiServer}@${target}`,
          `${CHECK.httpsApiServer}@${target}`,
          `${CHECK.apiServerListening}@${cp}`,
        ],
        explainsFindings: ['apiserver-port-blocked'],
        fix: catalogEntry('apiserver-down').fix,
      },
    ];
  },
};
