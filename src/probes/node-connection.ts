import { SSH_ERROR_CODES, type SshErrorCode } from '../ssh/ssh-error.js';
import type { SshTarget } from '../ssh/ssh-target.js';
import type { ConnectionFact } from './cluster-facts.js';
import type { ProbeOutput } from './probe-output.js';
import type { ProbeTransport } from './probe-transport.js';

/** SSH failures that are facts about a node (recorded, diagnosed); anything else is a bug and is thrown. */
const CONNECTION_CODES: ReadonlySet<string> = new Set(SSH_ERROR_CODES);

/**
 * Opens (or reuses) the node's pooled connection and says how it went, as a fact: a node netcheck
 * cannot reach is something to diagnose, not an error. Anything that is not an SSH failure throws.
 */
export async function connectAsFact(
  transport: Pick<ProbeTransport, 'connect'>,
  target: SshTarget,
  now: () => number,
): Promise<ConnectionFact> {
  const started = now();
  try {
    await transport.connect(target);
    return { ok: true, durationMs: now() - started };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) {
      const detail = (error as { detail?: string }).detail ?? (error as Error).message;
      return { ok: false, code: code as SshErrorCode, detail };
    }
    throw error;
  }
}

/** The output recorded for a planned probe that did not come back, with why (the bundle's failure). */
export function missingOutput(
  probe: { readonly key: string; readonly command: { readonly text: string } },
  node: string,
  failure: string,
  durationMs: number,
): ProbeOutput {
  return {
    probe: probe.key,
    node,
    command: probe.command.text,
    exitCode: null,
    stdout: '',
    stderr: failure || 'no output came back for this probe',
    timedOut: failure.includes('timed out'),
    truncated: false,
    durationMs: Math.round(durationMs),
  };
}
