import type { RemoteCommand } from '../ssh/remote-command.js';

/**
 * The one place a stored step's text becomes a RemoteCommand again. It is safe because the text
 * was made by remedy-commands.ts (the reviewed, quoting templates) when the plan was built, and the
 * executor runs a plan only after its Redis gate has checked that the stored plan still has the hash
 * the approver approved (the hash covers every command and check, see plan-hash.ts). Anyone who can
 * write to Redis could still rewrite plan and hash together: signing plans with a key only workers
 * hold (NETCHECK_PLAN_KEY) closes that, in a later change.
 */
export function approvedCommand(text: string): RemoteCommand {
  return { text } as RemoteCommand;
}
