import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface ConntrackState {
  /** False when the node has no conntrack (nf_conntrack not loaded): then no table can fill up. */
  readonly loaded: boolean;
  readonly count: number | undefined;
  readonly max: number | undefined;
  /** The kernel's own "table full" lines (dmesg), newest last; empty where dmesg cannot be read. */
  readonly kernelLog: readonly string[];
}

const NUMBER = /^\d{1,12}$/;

/**
 * The probe prints `COUNT <n>` and `MAX <n>` from /proc/sys/net/netfilter (empty values when the
 * files do not exist) and `LOG <line>` for the last kernel lines saying the table is full.
 */
export function parseConntrack(output: ProbeOutput): Parsed<ConntrackState> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0)
    return unknown(
      `conntrack counters could not be read (exit ${output.exitCode}: ${firstLine(output.stderr)})`,
    );
  const lines = output.stdout.split('\n');
  const field = (name: string) =>
    lines
      .find((l) => l.startsWith(`${name} `) || l === name)
      ?.slice(name.length + 1)
      .trim();
  const count = field('COUNT');
  const max = field('MAX');
  if (count === undefined || max === undefined)
    return unknown('the conntrack probe printed no COUNT/MAX lines');
  const kernelLog = lines
    .filter((l) => l.startsWith('LOG '))
    .map((l) => l.slice(4).trim())
    .slice(-3);
  if (count === '' && max === '') return ok({ loaded: false, count: undefined, max: undefined, kernelLog });
  if (!NUMBER.test(count) || !NUMBER.test(max))
    return unknown(
      `conntrack counters are not numbers (count "${count.slice(0, 20)}", max "${max.slice(0, 20)}")`,
    );
  return ok({ loaded: true, count: Number(count), max: Number(max), kernelLog });
}
