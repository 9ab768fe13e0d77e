import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Auditor } from '../../audit/audit-event.js';
import type { Queues } from '../../queue/queues.js';
import { approvalsNeeded, decisionRefusal, mayDecide } from '../../remediation/authorize.js';
import { type PlanRepository, refusalCode } from '../../remediation/plan-repository.js';
import { APPROVE_ACTION, REJECT_ACTION } from '../blocks/plan-blocks.js';
import { parsePlanButtonValue } from '../blocks/plan-button-value.js';

export interface PlanActionDeps {
  readonly plans: PlanRepository;
  readonly queues: Queues;
  /** Whether this user is an approver (NETCHECK_APPROVERS, user groups resolved). */
  readonly isApprover: (user: string) => Promise<boolean>;
  /** The inventory's control-plane nodes: a plan that changes one needs an approver. */
  readonly controlPlane: ReadonlySet<string>;
  readonly audit: Auditor;
  readonly now: () => number;
  readonly isoNow: () => string;
  readonly logger: { info(obj: object, msg: string): void };
}

/**
 * Approve / Reject. The listener acks, checks who is clicking, makes the one atomic state change in
 * Redis and enqueues; everyone who may not decide, or clicks too late or twice, gets an ephemeral why.
 */
export function registerPlanActions(app: App, deps: PlanActionDeps): void {
  for (const [actionId, decision] of [
    [APPROVE_ACTION, 'approve'],
    [REJECT_ACTION, 'reject'],
  ] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client }) => {
      await ack();
      const user = body.user.id;
      const channel = body.channel?.id;
      const tell = async (text: string) => {
        if (channel) await client.chat.postEphemeral({ channel, user, text });
      };
      const clicked = parsePlanButtonValue(action.value);
      const planId = clicked?.planId ?? (action.value ?? '').slice(0, 80);
      const stored = clicked ? await deps.plans.get(planId) : undefined;
      if (!stored) {
        await deps.audit.record({
          type: 'plan.refused',
          actor: user,
          summary: `${decision} refused: plan ${planId.slice(0, 80)} does not exist`,
          data: { planId: planId.slice(0, 80) },
        });
        await tell(':no_entry: Nothing was run: this plan does not exist (any more). Run /netcheck again.');
        return;
      }
      const about = { actor: user, runId: stored.plan.runId, planId, node: stored.plan.node };
      // The hash of the plan the approver was shown travels on the button; an approval is bound to
      // it, never to the stored plan's own hash (which whoever writes to Redis could change).
      const shownHash = decision === 'approve' ? clicked?.hash : (clicked?.hash ?? stored.plan.hash);
      if (!shownHash) {
        await deps.audit.record({
          ...about,
          type: 'plan.refused',
          summary: `${decision} refused: the button carried no plan hash (a message from an older netcheck?)`,
        });
        await tell(
          ':no_entry: Nothing was run: this button does not say which version of the plan you saw. Run /netcheck again and approve the new plan.',
        );
        return;
      }
      const approver = await deps.isApprover(user);
      const allowed = mayDecide(stored.plan, user, approver, decision, deps.controlPlane);
      if (!allowed.ok) {
        await deps.audit.record({
          ...about,
          type: 'plan.refused',
          summary: `${decision} refused: ${allowed.why}`,
        });
        deps.logger.info({ planId, user, decision }, 'refused a plan decision');
        await tell(`:no_entry: Nothing was run: ${allowed.why}.`);
        return;
      }
      const result = await deps.plans.decide(
        planId,
        shownHash,
        user,
        decision === 'approve' ? 'approved' : 'rejected',
        deps.now(),
        deps.isoNow(),
        approvalsNeeded(stored.plan),
      );
      const when = deps.isoNow().replace('T', ' ').replace(/\..*$/, ' UTC');
      if (result.code === 'first-approval') {
        await deps.audit.record({
          ...about,
          type: 'plan.first-approval',
          summary: `first of two approvals (hash ${shownHash.slice(0, 12)})`,
          data: { hash: shownHash },
        });
        await deps.queues.enqueueOutbox({
          kind: 'progress',
          runId: stored.plan.runId,
          seq: `${planId}-first-approval`,
          text: `:hourglass_flowing_sand: First approval of \`${planId}\` by <@${user}> at ${when}. Nothing runs until a second, different approver approves.`,
        });
        deps.logger.info({ planId, user, decision }, 'first of two approvals');
        return;
      }
      if (result.code !== 'approved' && result.code !== 'rejected') {
        await deps.audit.record({
          ...about,
          type: result.code === 'expired' ? 'plan.expired' : 'plan.refused',
          summary: `${decision} refused: ${decisionRefusal(result)}`,
          data: { result: refusalCode(result) },
        });
        await tell(`:no_entry: Nothing was run: ${decisionRefusal(result)}.`);
        return;
      }
      const approvedBy =
        approvalsNeeded(stored.plan) === 2
          ? `<@${(await deps.plans.get(planId))?.decidedBy?.split(',')[0] ?? '?'}> and <@${user}>`
          : `<@${user}>`;
      await deps.audit.record({
        ...about,
        type: decision === 'approve' ? 'plan.approved' : 'plan.rejected',
        summary:
          decision === 'approve'
            ? `approved by ${approvedBy} (hash ${shownHash.slice(0, 12)})`
            : `rejected; nothing runs`,
        data: { hash: shownHash, proposedAt: stored.plan.createdAt, decidedAtMs: deps.now() },
      });
      await deps.queues.enqueueOutbox({
        kind: 'plan-decided',
        runId: stored.plan.runId,
        planId,
        text:
          decision === 'approve'
            ? `:white_check_mark: Approved by ${approvedBy} at ${when}.`
            : `:x: Rejected by <@${user}> at ${when}. Nothing was run.`,
      });
      if (decision === 'approve')
        await deps.queues.enqueueRemediation({ planId, hash: shownHash }, stored.plan.node);
      deps.logger.info({ planId, user, decision }, 'plan decided');
    });
  }
}
