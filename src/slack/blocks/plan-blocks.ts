import { approvalRule } from '../../remediation/authorize.js';
import type { Plan } from '../../remediation/plan.js';
import type { Block } from './block.js';
import { escapeMrkdwn, truncate } from './mrkdwn.js';
import { planButtonValue } from './plan-button-value.js';
import { stepSections } from './plan-step-sections.js';

export const APPROVE_ACTION = 'netcheck_approve';
export const REJECT_ACTION = 'netcheck_reject';

/**
 * The most blocks a plan may take. A message holds 50; the report above the plan keeps the rest
 * (report-blocks.ts). A plan whose commands need more is not offered for approval at all.
 */
export const MAX_PLAN_BLOCKS = 34;

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * The plan before anything runs: every step with every command it runs and its check, in full and
 * exactly as they run (split over several blocks where needed, never cut), the backup folder, the
 * hash, and the buttons. A plan that cannot be shown in full within Slack's limits gets no buttons:
 * nobody approves commands they could not read.
 */
/** `controlPlane`: the inventory's control-plane node names, so the approval rule shown is the one enforced. */
export function planBlocks(plan: Plan, controlPlane: ReadonlySet<string>): Block[] {
  const stepTexts = plan.steps.map(stepSections);
  const showable = stepTexts.every((t) => t !== undefined);
  const stepBlocks = showable ? stepTexts.flat().map((t) => section(t as string)) : [];
  const offered = showable && stepBlocks.length + 4 <= MAX_PLAN_BLOCKS;
  const intro = section(
    truncate(
      `*Fix plan for \`${escapeMrkdwn(plan.causeId)}\`* (${approvalRule(plan, controlPlane)}), ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}${offered ? ': every command the Approve button runs is below, exactly as it runs' : ''}.\n:file_folder: Backup before any change: \`${escapeMrkdwn(plan.backupDir)}\` on ${escapeMrkdwn(plan.node)} (private to root: folder 0700, files 0600; older netcheck backups there are pruned by the backup step).`,
      2900,
    ),
  );
  const footer: Block = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Afterwards ${escapeMrkdwn(plan.node)} is probed again · plan \`${plan.planId}\` · hash \`${plan.hash.slice(0, 12)}\` · signed by the worker that built it · approval valid 15 min`,
      },
    ],
  };
  if (!offered) {
    return [
      { type: 'divider' },
      intro,
      section(
        `:no_entry: *Not offered for approval.* ${
          showable
            ? `Its ${plan.steps.length} steps need ${stepBlocks.length} blocks to show every command in full, more than one Slack message holds (${MAX_PLAN_BLOCKS} for a plan).`
            : 'One of its commands contains ``` and cannot be shown exactly as it runs.'
        } An approver must be able to read every command the button runs, so there is no button. Fix it by hand, or narrow the problem and run /netcheck again.`,
      ),
      footer,
    ];
  }
  return [
    { type: 'divider' },
    intro,
    ...stepBlocks,
    footer,
    {
      type: 'actions',
      block_id: `plan-${plan.planId}`,
      elements: [approveButton(plan), rejectButton(plan)],
    },
  ];
}

function approveButton(plan: Plan): Block {
  return {
    type: 'button',
    action_id: APPROVE_ACTION,
    text: { type: 'plain_text', text: 'Approve' },
    style: 'primary',
    // The hash of exactly what is shown above: the approval is bound to it.
    value: planButtonValue(plan),
    ...(plan.destructive
      ? {
          confirm: {
            title: { type: 'plain_text', text: 'Run a destructive plan?' },
            text: {
              type: 'mrkdwn',
              text: truncate(
                `This runs all ${plan.steps.length} steps shown above on ${escapeMrkdwn(plan.node)}, in ways that disrupt it. A backup goes to ${escapeMrkdwn(plan.backupDir)} first.`,
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
}

function rejectButton(plan: Plan): Block {
  return {
    type: 'button',
    action_id: REJECT_ACTION,
    text: { type: 'plain_text', text: 'Reject' },
    value: planButtonValue(plan),
    style: 'danger',
  };
}
