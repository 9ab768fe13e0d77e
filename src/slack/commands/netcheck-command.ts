import type { App } from '@slack/bolt';
import type { Auditor } from '../../audit/audit-event.js';
import type { Inventory } from '../../config/inventory.js';
import { withDeadline } from '../../core/deadline.js';
import type { IdSource } from '../../core/ids.js';
import type { CommandOutcome } from '../../metrics/netcheck-metrics.js';
import type { IntakeResult, RateLimit } from '../../queue/command-intake.js';
import type { CommandRequest } from '../../queue/job-types.js';
import { REDIS_UNAVAILABLE_TEXT } from '../redis-unavailable.js';
import { parseCommand, USAGE } from './parse-command.js';

/** A backstop: the listener connection's own command timeout (1 s) normally answers first. */
const SUBMIT_DEADLINE_MS = 1500;

export interface NetcheckCommandDeps {
  readonly inventory: Inventory;
  /** The command intake (queue/command-intake.ts) on a fail-fast connection. */
  readonly intake: { submit(command: CommandRequest): Promise<IntakeResult> };
  readonly rateLimit: RateLimit;
  /** Used after the ack only, for refusals. */
  readonly audit: Auditor;
  readonly isoNow: () => string;
  /** The one id source: run ids. */
  readonly ids: IdSource;
  /** Counts how each command was answered (netcheck_commands_total). */
  readonly countCommand?: (outcome: CommandOutcome) => void;
  readonly logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/**
 * `/netcheck <node>`: validate, then one atomic write to Redis (deadline, rate limit and the intake
 * entry), then ack. The audit entry, the run record and the jobs follow from the intake entry, off
 * this path, so the ack stays fast under load and a Redis outage is answered within Slack's 3 s.
 * No SSH or Kubernetes call happens here (house rule 2). Refusals are audited after the ack.
 */
export function registerNetcheckCommand(app: App, deps: NetcheckCommandDeps): void {
  app.command('/netcheck', async ({ command, ack: rawAck }) => {
    let outcome: CommandOutcome = 'queued';
    const ack: typeof rawAck = async (answer) => {
      await rawAck(answer);
      deps.countCommand?.(outcome);
    };
    const text = command.text ?? '';
    const parsed = parseCommand(text, deps.inventory);
    if (parsed.kind === 'help') {
      outcome = 'help';
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    const refusal = {
      actor: command.user_id,
      data: { channel: command.channel_id, text: text.slice(0, 500) },
    };
    if (parsed.kind === 'invalid') {
      outcome = 'invalid';
      await ack({ response_type: 'ephemeral', text: parsed.message });
      deps.logger.info(
        { user: command.user_id, channel: command.channel_id, text },
        'refused /netcheck: bad node name',
      );
      await audited(deps, {
        ...refusal,
        type: 'command.refused',
        summary: `refused /netcheck ${JSON.stringify(text.slice(0, 200))} in <#${command.channel_id}>: ${parsed.message.split('\n')[0]}`,
      });
      return;
    }
    const request: CommandRequest = {
      runId: deps.ids.next('run'),
      // A mesh is one run: `node` names it, `mesh` holds its nodes (validated above).
      node: parsed.kind === 'mesh' ? 'mesh' : parsed.node.name,
      ...(parsed.kind === 'mesh' ? { mesh: parsed.nodes.map((n) => n.name) } : {}),
      channel: command.channel_id,
      requestedBy: command.user_id,
      requestedAt: deps.isoNow(),
      text: text.slice(0, 500),
      ...(parsed.kind === 'preflight' ? { kind: 'preflight' as const } : {}),
    };
    let result: IntakeResult;
    try {
      result = await withDeadline(deps.intake.submit(request), SUBMIT_DEADLINE_MS, 'queuing /netcheck');
    } catch (error) {
      deps.logger.error({ err: error, runId: request.runId }, 'could not queue /netcheck: Redis unavailable');
      outcome = 'redis-unavailable';
      await ack({ response_type: 'ephemeral', text: REDIS_UNAVAILABLE_TEXT });
      return;
    }
    if (result.status === 'too-late') {
      deps.logger.warn({ runId: request.runId }, 'Redis accepted /netcheck too late; nothing was queued');
      outcome = 'redis-unavailable';
      await ack({ response_type: 'ephemeral', text: REDIS_UNAVAILABLE_TEXT });
      return;
    }
    if (result.status === 'rate-limited') {
      const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      outcome = 'rate-limited';
      await ack({
        response_type: 'ephemeral',
        text: `:hourglass_flowing_sand: Nothing was queued: you have run /netcheck ${deps.rateLimit.count} times in ${window(deps.rateLimit.windowMs)}, the most one person may (NETCHECK_RATE_LIMIT). Try again in ${seconds} s.`,
      });
      await audited(deps, {
        ...refusal,
        type: 'access.refused',
        node: request.node,
        summary: `/netcheck ${request.node} refused: rate limit (${deps.rateLimit.count} per ${window(deps.rateLimit.windowMs)}); next allowed in ${seconds} s`,
      });
      return;
    }
    await ack();
    deps.logger.info(
      { runId: request.runId, node: request.node, user: request.requestedBy, channel: request.channel },
      'queued /netcheck',
    );
  });
}

function window(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'an hour' : `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return ms === 60_000 ? 'a minute' : `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} seconds`;
}

async function audited(deps: NetcheckCommandDeps, event: Parameters<Auditor['record']>[0]): Promise<void> {
  await deps.audit
    .record(event)
    .catch((error: unknown) => deps.logger.error({ err: error }, 'could not audit a refused command'));
}
