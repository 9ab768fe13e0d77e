import { ok, type Parsed, unknown } from '../parsed.js';
import type { ProbeOutput } from '../probe-output.js';
import { commonFailure, firstLine } from './parse-helpers.js';

export interface IptablesRule {
  readonly table: string;
  readonly chain: string;
  /** The rule exactly as iptables-save printed it (evidence, and later the spec to delete). */
  readonly line: string;
  readonly protocol: string | undefined;
  readonly dports: readonly number[];
  readonly target: string | undefined;
  readonly inInterface: string | undefined;
  readonly outInterface: string | undefined;
  readonly source: string | undefined;
  readonly destination: string | undefined;
  readonly negatedProtocol: boolean;
}

export interface IptablesDump {
  readonly policies: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly rules: readonly IptablesRule[];
}

/** Splits an iptables-save rule into words, honouring the double quotes used around comments. */
export function tokenize(line: string): string[] {
  // iptables-save quotes a word with spaces and escapes `"` and `\` inside it with a backslash: the
  // word iptables itself was given (and must be given again to delete the rule) has them unescaped.
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''),
  );
}

function optionValue(words: readonly string[], ...names: string[]): string | undefined {
  const i = words.findIndex((w) => names.includes(w));
  return i >= 0 ? words[i + 1] : undefined;
}

function parsePorts(words: readonly string[]): number[] {
  const ports: number[] = [];
  words.forEach((w, i) => {
    const value = words[i + 1];
    if (!value) return;
    if (w === '--dport' || w === '--destination-port') {
      const [from, to] = value.split(':').map(Number);
      if (from !== undefined && !Number.isNaN(from)) {
        // A range is represented by its ends plus a marker; callers use portMatches().
        ports.push(from);
        if (to !== undefined && !Number.isNaN(to)) ports.push(-to);
      }
    }
    if (w === '--dports' || w === '--destination-ports') {
      for (const part of value.split(',')) {
        const [from, to] = part.split(':').map(Number);
        if (from !== undefined && !Number.isNaN(from)) ports.push(from);
        if (to !== undefined && !Number.isNaN(to)) ports.push(-to);
      }
    }
  });
  return ports;
}

/** Does a rule's destination-port match cover `port`? A rule without a port match covers every port. */
export function portMatches(rule: IptablesRule, port: number): boolean {
  if (rule.dports.length === 0) return true;
  for (let i = 0; i < rule.dports.length; i++) {
    const from = rule.dports[i]!;
    const next = rule.dports[i + 1];
    if (next !== undefined && next < 0) {
      if (port >= from && port <= -next) return true;
      i++;
    } else if (from === port) {
      return true;
    }
  }
  return false;
}

export function parseIptablesSave(output: ProbeOutput): Parsed<IptablesDump> {
  const failure = commonFailure(output);
  if (failure) return failure;
  if (output.exitCode !== 0) {
    return unknown(
      `iptables-save failed (exit ${output.exitCode}: ${firstLine(output.stderr)}); it needs root`,
    );
  }
  const policies: Record<string, Record<string, string>> = {};
  const rules: IptablesRule[] = [];
  let table = '';
  for (const raw of output.stdout.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      policies[table] ??= {};
    } else if (line.startsWith(':')) {
      const [chain, policy] = line.slice(1).split(/\s+/);
      if (chain && policy) {
        const tablePolicies = policies[table] ?? {};
        tablePolicies[chain] = policy;
        policies[table] = tablePolicies;
      }
    } else if (line.startsWith('-A ')) {
      const words = tokenize(line);
      const pIndex = words.findIndex((w) => w === '-p' || w === '--protocol');
      rules.push({
        table,
        chain: words[1] ?? '',
        line,
        protocol: optionValue(words, '-p', '--protocol')?.toLowerCase(),
        negatedProtocol: pIndex > 0 && words[pIndex - 1] === '!',
        dports: parsePorts(words),
        target: optionValue(words, '-j', '--jump'),
        inInterface: optionValue(words, '-i', '--in-interface'),
        outInterface: optionValue(words, '-o', '--out-interface'),
        source: optionValue(words, '-s', '--source'),
        destination: optionValue(words, '-d', '--destination'),
      });
    }
  }
  if (output.truncated && rules.length === 0) return unknown('iptables-save output was truncated');
  return ok({ policies, rules });
}

export const isDropping = (rule: IptablesRule): boolean => rule.target === 'DROP' || rule.target === 'REJECT';
