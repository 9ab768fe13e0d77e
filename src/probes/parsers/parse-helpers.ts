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

/**
 * Printed instead of running the tool when the device is not in `ip -j link show`'s JSON (NODEV)
 * or the file does not exist (NOFILE): iproute2 would say so only in English, with exit codes
 * that differ between `ip` (1) and `bridge` (255), and cat's exit 1 means any error.
 */
export function saysAbsent(output: ProbeOutput, marker: 'NODEV' | 'NOFILE'): boolean {
  return output.exitCode === 0 && output.stdout.trim() === marker;
}

/** Why an iproute2 command printed no JSON: busybox's ip has no -j, iproute2 before 4.x neither. */
export function noJson(tool: string, output: ProbeOutput): string {
  if (output.truncated) return `${tool} output was truncated`;
  return `${tool} printed no JSON (netcheck needs iproute2 >= 4.19 on the node; busybox ip has no -j)`;
}
