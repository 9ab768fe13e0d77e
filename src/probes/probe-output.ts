/** What one probe command produced on one node: raw, serialisable, so it can be recorded as a fixture. */
export interface ProbeOutput {
  readonly probe: string;
  readonly node: string;
  /** The exact command text that ran, shown as evidence. */
  readonly command: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly truncated: boolean;
  readonly durationMs: number;
}

/** A parser's answer. "unknown" is never a pass: the check could not be made. */
export type Parsed<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'unknown'; readonly reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ status: 'ok', value });
export const unknown = <T = never>(reason: string): Parsed<T> => ({ status: 'unknown', reason });

/** Exit 126/127 from the shell means the tool is not installed (or not executable) on the node. */
export function commonFailure(output: ProbeOutput): Parsed<never> | undefined {
  if (output.timedOut) return unknown(`timed out after ${output.durationMs} ms`);
  if (output.exitCode === 127 || output.exitCode === 126) {
    return unknown(
      `a tool is missing on the node (${firstLine(output.stderr) || `exit ${output.exitCode}`})`,
    );
  }
  if (output.exitCode === null)
    return unknown(firstLine(output.stderr) || 'the command was killed before it finished');
  return undefined;
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.trim() ?? ''
  );
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
