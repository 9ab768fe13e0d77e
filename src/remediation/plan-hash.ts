import { createHash } from 'node:crypto';
import type { PlanStep } from './plan-step.js';
import { stepText } from './step-text.js';

/** sha256 over what each step runs, as shown to the approver: an approval is for exactly these. */
export function hashSteps(steps: readonly PlanStep[]): string {
  return createHash('sha256')
    .update(
      JSON.stringify(
        steps.map((s) => {
          const { command, check } = stepText(s);
          return [s.node, command, check, s.destructive];
        }),
      ),
    )
    .digest('hex');
}
