import { catalogEntry } from '../catalog.js';
import { checkRef } from '../check-id.js';
import type { Finding } from '../finding.js';
import type { Rule } from './rule.js';

/** SSH failures are facts about the node itself: unreachable, or not the machine we pinned. */
export const sshRule: Rule = {
  id: 'node-unreachable',
  evaluate(view, checks) {
    const findings: Finding[] = [];
    for (const node of Object.values(view.facts.nodes)) {
      if (node.connection.ok) continue;
      const { code, detail } = node.connection;
      const isTarget = node.name === view.facts.target;
      const ssh = checkRef('ssh', node.name);
      const evidence = checks.get(ssh)?.evidence ?? [];
      if (code === 'host-key-mismatch' || code === 'host-key-unknown') {
        findings.push({
          id: 'host-key-mismatch',
          node: node.name,
          cause:
            code === 'host-key-unknown'
              ? `${node.name} (${node.host}) has no pinned host key in known_hosts, so netcheck refused to talk to it.`
              : `${node.name} (${node.host}) presented an SSH host key that is not the pinned one; netcheck refused to connect (possible impersonation or a rebuilt node).`,
          evidence,
          confidence: 'high',
          explainsChecks: [ssh.key],
          explainsFindings: [],
          fix: catalogEntry('host-key-mismatch').fix,
        });
      } else if (code === 'node-unreachable') {
        findings.push({
          id: 'node-unreachable',
          node: node.name,
          cause: isTarget
            ? `netcheck cannot reach ${node.name} over SSH (${detail}).`
            : `netcheck cannot reach ${node.name} over SSH (${detail}), so facts from it are missing.`,
          evidence,
          confidence: 'high',
          // The target cannot reach it either: that symptom is this same fault.
          explainsChecks: [ssh.key, checkRef('underlay-tcp', view.facts.target, node.name).key],
          explainsFindings: [],
          fix: catalogEntry('node-unreachable').fix,
        });
      }
    }
    return findings;
  },
};
