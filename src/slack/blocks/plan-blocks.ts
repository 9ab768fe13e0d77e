import { approvalRule } from '../../remediation/authorize.js';
import type { Plan } from '../../remediation/plan.js';
import { stepText } from '../../remediation/step-text.js';
import type { Block } from './block.js';
import { codeBlock, escapeMrkdwn, truncate } from './mrkdwn.js';

export const APPROVE_ACTION = 'netcheck_approve';
export const REJECT_ACTION = 'netcheck_reject';

/** The plan before anything runs: numbered steps with their exact commands, what is backed up, the hash, and the buttons. */
export function planBlocks(plan: Plan): Block[] {
  const steps = plan.steps
    .map((s) => {
      const { command, check } = stepText(s);
      return `${s.n}. *${escapeMrkdwn(s.title)}* on ${escapeMrkdwn(s.node)}${s.destructive ? ' — :warning: destructive' : ''}\n${codeBlock([command, `# then checked with: ${check}`], 900)}`;
    })
    .join('\n');
  const approve: Block = {
    type: 'button',
    action_id: APPROVE_ACTION,
    text: { type: 'plain_text', text: 'Approve' },
    style: 'primary',
    value: plan.planId,
    ...(plan.destructive
      ? {
          confirm: {
            title: { type: 'plain_text', text: 'Run a destructive plan?' },
            text: {
              type: 'mrkdwn',
              text: truncate(
                `This changes ${plan.node} in ways that disrupt it. A backup goes to ${plan.backupDir} first.`,
                290,
              ),
            },
            confirm: { type: 'plain_text', text: 'Run it' },
            deny: { type: 'plain_text', text: 'Cancel' },
            style: 'danger',
          },
        }
      : {}),
  };
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`*Fix plan for \`${plan.causeId}\`* (${approvalRule(plan)})\n${steps}`, 2900),
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(
            `Backup before any change: ${plan.backupDir} on ${plan.node} · afterwards ${plan.node} is probed again · plan \`${plan.planId}\` · hash \`${plan.hash.slice(0, 12)}\` · approval valid 15 min`,
            2900,
          ),
        },
      ],
    },
    {
      type: 'actions',
      block_id: `plan-${plan.planId}`,
      elements: [
        approve,
        {
          type: 'button',
          action_id: REJECT_ACTION,
          text: { type: 'plain_text', text: 'Reject' },
          value: plan.planId,
          style: 'danger',
        },
      ],
    },
  ];
}
