import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { Auditor } from '../../audit/audit-event.js';
import type { Inventory } from '../../config/inventory.js';
import type { Queues } from '../../queue/queues.js';
import type { RunStore } from '../../store/run-store.js';
import { parseCommand, USAGE } from './parse-command.js';

export interface NetcheckCommandDeps {
  readonly inventory: Inventory;
  readonly queues: Queues;
  readonly runs: RunStore;
  readonly audit: Auditor;
  readonly isoNow: () => string;
  readonly logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * `/netcheck <node>`: validate, record the run, queue the parent message and the probe job, ack.
 * No SSH or Kubernetes call happens here (house rule 2); the ack comes well inside Slack's 3 s.
 */
export function registerNetcheckCommand(app: App, deps: NetcheckCommandDeps): void {
  app.command('/netcheck', async ({ command, ack }) => {
    const parsed = parseCommand(command.text ?? '', deps.inventory);
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    if (parsed.kind === 'invalid') {
      deps.logger.info(
        { user: command.user_id, channel: command.channel_id, text: command.text },
        'refused /netcheck: bad node name',
      );
      await deps.audit
        .record({
          type: 'command.refused',
          actor: command.user_id,
          summary: `refused /netcheck ${JSON.stringify((command.text ?? '').slice(0, 200))} in <#${command.channel_id}>: ${parsed.message.split('\n')[0]}`,
          data: { channel: command.channel_id, text: (command.text ?? '').slice(0, 500) },
        })
        .catch((error: unknown) => deps.logger.error({ err: error }, 'could not audit a refused command'));
      await ack({ response_type: 'ephemeral', text: parsed.message });
      return;
    }
    const runId = `run-${randomUUID()}`;
    const run = {
      runId,
      node: parsed.node.name,
      channel: command.channel_id,
      requestedBy: command.user_id,
      createdAt: deps.isoNow(),
    };
    try {
      await deps.audit.record({
        type: 'command.received',
        actor: run.requestedBy,
        runId,
        node: run.node,
        summary: `/netcheck ${run.node} in <#${run.channel}>`,
        data: { channel: run.channel, text: (command.text ?? '').slice(0, 500) },
      });
      await deps.runs.create(run);
      await deps.queues.enqueueOutbox({
        kind: 'parent',
        runId,
        channel: run.channel,
        node: run.node,
        requestedBy: run.requestedBy,
      });
      await deps.queues.enqueueProbe({
        runId,
        node: run.node,
        requestedBy: run.requestedBy,
        channel: run.channel,
        requestedAt: run.createdAt,
      });
    } catch (error) {
      deps.logger.error({ err: error, runId }, 'could not queue /netcheck');
      await ack({
        response_type: 'ephemeral',
        text: ':warning: netcheck could not queue the check (its Redis is unavailable). Nothing was run. Try again in a minute; if it persists, the bot operator should check REDIS_URL.',
      });
      return;
    }
    deps.logger.info(
      { runId, node: run.node, user: run.requestedBy, channel: run.channel },
      'queued /netcheck',
    );
    await ack();
  });
}
