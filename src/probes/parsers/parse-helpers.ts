import { type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';

/** What every parser checks first. Exit 126/127 from the shell means the tool is not installed (or not executable). */
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

/** Node output is hostile data: bad JSON is "no answer", never an exception. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
