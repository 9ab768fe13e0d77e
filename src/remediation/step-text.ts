import type { PlanStep, StepDraft } from './plan-step.js';

/**
 * What a step does, as the approver reads it (Slack), as the audit log records it, and as the plan
 * hash covers it. A shell step shows its exact command; a drain or join step has no shell text of
 * its own, so its line is rendered from its data. A join never shows its token: it is fetched fresh.
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
        command: `kubeadm join <fresh: kubeadm token create --print-join-command on ${step.joinFrom}>`,
        check: step.check,
      };
  }
}
