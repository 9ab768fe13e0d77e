import type { PlanStep, StepDraft } from './plan-step.js';
import { remedyCommands } from './remedy-commands.js';

/**
 * What a step does, as the approver reads it (Slack), as the audit log records it, and as the plan
 * hash covers it. A shell step shows its exact command; a drain step acts through the Kubernetes API,
 * so its line is rendered from its data; a join step shows the three commands it runs, exactly, with
 * only the token's id left open: the token is made fresh when the step runs and never shown.
 */
export function stepText(step: PlanStep | StepDraft): { readonly command: string; readonly check: string } {
  switch (step.kind) {
    case 'shell':
      return { command: step.command, check: step.check };
    case 'drain':
      return {
        command: `kubectl cordon ${step.node}; evict its pods except DaemonSet and mirror pods; kubectl delete node ${step.node}`,
        check: `GET /api/v1/nodes/${step.node} returns 404`,
      };
    case 'join':
      return {
        command: [
          `# on ${step.joinFrom} (its output, the token, stays on the worker):`,
          remedyCommands.createJoinToken().text,
          `# on ${step.node}, with a JoinConfiguration for that token on stdin:`,
          remedyCommands.joinWithConfigOnStdin().text,
          `# on ${step.joinFrom}, afterwards, whether the join worked or not:`,
          'kubeadm token delete <id of that token>',
        ].join('\n'),
        check: step.check,
      };
  }
}
