import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Auditor } from '../audit/audit-event.js';
import type { AccessPolicy } from './access-policy.js';
import { isRedisUnavailable, REDIS_UNAVAILABLE_TEXT } from './redis-unavailable.js';

export interface AccessMiddlewareDeps {
  readonly policy: AccessPolicy;
  readonly audit: Auditor;
  readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

interface Seen {
  readonly kind: 'command' | 'action';
  readonly user: string;
  readonly channel: string | undefined;
}

function seen(body: Record<string, unknown>): Seen | undefined {
  if (typeof body.command === 'string')
    return { kind: 'command', user: String(body.user_id ?? ''), channel: body.channel_id as string };
  if (body.type !== 'block_actions') return undefined;
  const channel =
    (body.channel as { id?: string } | undefined)?.id ??
    (body.container as { channel_id?: string } | undefined)?.channel_id;
  return { kind: 'action', user: String((body.user as { id?: string } | undefined)?.id ?? ''), channel };
}

/**
 * Runs before every listener: a command or a click from a channel that is not allowed, or a
 * command from someone who may not run netcheck, is answered ephemerally and goes no further
 * (nothing is queued); the refusal is audited as `access.refused`, which the audit mirror does not
 * post. A click whose listener could not reach Redis is told so ephemerally (it was acked already).
 */
export function accessMiddleware(deps: AccessMiddlewareDeps): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const who = seen(args.body as unknown as Record<string, unknown>);
    if (!who) return args.next();
    let allowed = deps.policy.channel(who.channel);
    if (allowed.ok && who.kind === 'command') allowed = await deps.policy.mayRun(who.user);
    const tell = async (text: string) => {
      if (!who.channel) return;
      await args.client.chat
        .postEphemeral({ channel: who.channel, user: who.user, text })
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not answer a click ephemerally'));
    };
    if (!allowed.ok) {
      const text = `:no_entry: Nothing was run: ${allowed.why}.`;
      const ack = (args as unknown as { ack: (answer?: object) => Promise<void> }).ack;
      if (who.kind === 'command') await ack({ response_type: 'ephemeral', text });
      else {
        await ack();
        await tell(text);
      }
      deps.logger.info({ user: who.user, channel: who.channel, kind: who.kind }, 'refused: access policy');
      await deps.audit
        .record({
          type: 'access.refused',
          actor: who.user,
          summary: `${who.kind === 'command' ? '/netcheck' : 'a button'} refused in ${who.channel ?? 'no channel'}: ${allowed.why}`,
          data: { channel: who.channel ?? null, kind: who.kind },
        })
        .catch((error: unknown) => deps.logger.warn({ err: error }, 'could not audit a refusal'));
      return;
    }
    if (who.kind !== 'action') return args.next();
    try {
      await args.next();
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      deps.logger.warn({ err: error, user: who.user }, 'a click could not reach Redis; nothing was queued');
      await tell(REDIS_UNAVAILABLE_TEXT);
    }
  };
}
