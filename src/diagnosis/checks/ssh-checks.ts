import { type Check, makeCheck } from '../check.js';
import { checkRef } from '../check-id.js';
import type { FactView } from '../fact-view.js';

/** Could netcheck open SSH to each node it meant to probe? */
export function sshChecks(view: FactView): Check[] {
  return Object.values(view.facts.nodes).map((node) =>
    node.connection.ok
      ? makeCheck(
          checkRef('ssh', node.name),
          `SSH to ${node.name}`,
          'pass',
          `connected in ${node.connection.durationMs} ms`,
          [],
        )
      : makeCheck(
          checkRef('ssh', node.name),
          `SSH to ${node.name}`,
          'fail',
          `${node.connection.code}: ${node.connection.detail}`,
          [{ node: node.name, command: `ssh ${node.host}`, lines: [node.connection.detail] }],
        ),
  );
}
