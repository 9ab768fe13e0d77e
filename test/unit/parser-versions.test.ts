import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Parsed } from '../../src/probes/parsed.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { PEER_PROBES, PROBES } from '../../src/probes/probe-registry.js';

/**
 * Every recorded fixture under test/fixtures/probes/versions/<tool>-<version>/ (written by
 * record.ts there, from real tools) is parsed by its probe's registered parser and must give the
 * value its header expects: the same facts from every version of every tool.
 */
const ROOT = path.join(import.meta.dirname, '..', 'fixtures', 'probes', 'versions');

interface Recorded {
  readonly file: string;
  readonly probe: string;
  readonly expect: unknown;
  readonly output: ProbeOutput;
}

function load(file: string): Recorded {
  const text = readFileSync(file, 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`^%% ${name}: (.*)$`, 'm').exec(text);
    if (!m) throw new Error(`${file}: no "%% ${name}:" header`);
    return m[1]!;
  };
  const between = (from: string, to: string) => {
    const start = text.indexOf(from);
    const end = text.indexOf(to, start + from.length);
    if (start < 0 || end < 0) throw new Error(`${file}: no ${from.trim()} section`);
    return text.slice(start + from.length, end);
  };
  const probe = field('probe');
  return {
    file: path.relative(ROOT, file),
    probe,
    expect: JSON.parse(field('expect')),
    output: {
      probe,
      node: 'recorded',
      command: field('command'),
      exitCode: Number(field('exit')),
      stdout: between('\n%% stdout\n', '\n%% stderr\n'),
      stderr: between('\n%% stderr\n', '\n%% end\n'),
      timedOut: false,
      truncated: false,
      durationMs: 0,
    },
  };
}

function parserFor(probe: string): (o: ProbeOutput) => Parsed<unknown> {
  if (Object.hasOwn(PROBES, probe)) return PROBES[probe as keyof typeof PROBES].parse;
  if (Object.hasOwn(PEER_PROBES, probe)) return PEER_PROBES[probe as keyof typeof PEER_PROBES].parse;
  throw new Error(`no parser for probe ${probe}`);
}

/** `expected` is contained in `actual`: objects by key, arrays by "each expected item matches one". */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.every((e) => actual.some((a) => contains(a, e)));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}

const files = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(path.join(ROOT, d.name))
      .filter((f) => f.endsWith('.txt'))
      .map((f) => path.join(ROOT, d.name, f)),
  )
  .sort();

describe('parsers on recorded output from several tool versions', () => {
  it('has recordings for both Debian releases of each tool', () => {
    const tools = new Set(files.map((f) => path.basename(path.dirname(f))));
    for (const expected of [
      'curl-7.88.1',
      'curl-8.14.1',
      'perl-5.36.0',
      'perl-5.40.1',
      'iproute2-6.1.0',
      'iproute2-6.15.0',
      'iputils-20221126',
      'iputils-20240905',
      'iptables-1.8.9-nft',
      'iptables-1.8.9-legacy',
      'iptables-1.8.11-nft',
      'iptables-1.8.11-legacy',
      'busybox-1.37.0',
      'nftables-1.0.6',
      'nftables-1.1.3',
    ]) {
      assert.ok(tools.has(expected), `no recordings for ${expected}`);
    }
  });

  for (const file of files) {
    const rec = load(file);
    it(`${rec.file} (${rec.probe})`, () => {
      const parsed = parserFor(rec.probe)(rec.output);
      if (rec.expect === 'unknown') {
        assert.equal(parsed.status, 'unknown', `expected unknown, got ${JSON.stringify(parsed)}`);
        return;
      }
      assert.equal(parsed.status, 'ok', parsed.status === 'unknown' ? parsed.reason : '');
      const value = (parsed as { value: unknown }).value;
      assert.ok(
        contains(value, rec.expect),
        `parsed ${JSON.stringify(value)}\ndoes not contain ${JSON.stringify(rec.expect)}`,
      );
    });
  }

  it('the same case gives the same facts on every version (curl 7 vs 8, iproute2 6.1 vs 6.15, …)', () => {
    const byCase = new Map<string, string[]>();
    for (const file of files) {
      const rec = load(file);
      const family = path.basename(path.dirname(file)).replace(/-[\d.]+(-|$)/, '$1');
      const key = `${family}/${path.basename(file)}`;
      const parsed = parserFor(rec.probe)(rec.output);
      const facts = JSON.stringify(parsed.status === 'ok' ? withoutDisplay(parsed.value) : 'unknown');
      byCase.set(key, [...(byCase.get(key) ?? []), facts]);
    }
    for (const [key, facts] of byCase) {
      if (key.startsWith('iptables')) continue; // the dumps carry their own timestamps and orders
      if (key.startsWith('nftables')) continue; // nft -j carries its version; firewall-model.test.ts compares the chains
      assert.equal(new Set(facts).size, 1, `${key} differs between versions: ${facts.join(' vs ')}`);
    }
  });
});

/** Display text (curl's and ping's wording, which does change) is not a fact. */
function withoutDisplay(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { summary: _summary, ...rest } = value as Record<string, unknown>;
  return rest;
}
