import type { RemoteCommand } from '../ssh/remote-command.js';

/**
 * The one place a stored step's text becomes a RemoteCommand again. It is safe because the text
 * was made by remedy-commands.ts (the reviewed, quoting templates) when a worker built the plan,
 * and the executor runs a plan only after run-admission.ts has recomputed its hash from these very
 * texts, verified the worker's signature over it (NETCHECK_PLAN_KEY, which neither the bot nor Redis
 * holds) and matched it with the hash the approver's button carried.
 */
export function approvedCommand(text: string): RemoteCommand {
  return { text } as RemoteCommand;
}
