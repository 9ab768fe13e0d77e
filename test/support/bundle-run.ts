import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import { type BundledProbe, type ProbeBundle, parseBundle } from '../../src/probes/probe-bundle.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';

/** A recorded network probe output of node-3, as the bundle gives it back. */
export function networkOutput(
  probe: string,
  exitCode: number | null,
  durationMs: number,
  stdout = '',
  stderr = '',
): ProbeOutput {
  return {
    probe,
    node: 'node-3',
    command: '',
    exitCode,
    stdout,
    stderr,
    timedOut: false,
    truncated: false,
    durationMs,
  };
}

/** A directory of stand-in tools (name → shell script body), removed after the test file. */
export function standInTools(tools: Record<string, string>): string {
  const bin = mkdtempSync(path.join(tmpdir(), 'ncbundle-tools-'));
  after(() => rmSync(bin, { recursive: true, force: true }));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

/** Runs a bundle with this machine's sh (stand-in tools first on PATH); its outputs by probe key. */
export function runBundleLocally(
  bundle: ProbeBundle,
  probes: readonly BundledProbe[],
  bin?: string,
): Record<string, ProbeOutput> {
  const stdout = execFileSync('sh', ['-c', bundle.command.text], runOptions(bin));
  return byKey(bundle, probes, stdout);
}

/** runBundleLocally without blocking this process: for a bundle that talks to a server the test runs. */
export async function runBundleLocallyAsync(
  bundle: ProbeBundle,
  probes: readonly BundledProbe[],
): Promise<Record<string, ProbeOutput>> {
  const { stdout } = await promisify(execFile)('sh', ['-c', bundle.command.text], runOptions());
  return byKey(bundle, probes, stdout);
}

const runOptions = (bin?: string) => ({
  encoding: 'utf8' as const,
  timeout: 20_000,
  env: { ...process.env, ...(bin ? { PATH: `${bin}:${process.env.PATH}` } : {}) },
});

const byKey = (bundle: ProbeBundle, probes: readonly BundledProbe[], stdout: string) =>
  Object.fromEntries(parseBundle('n1', bundle, probes, stdout).map((o) => [o.probe, o]));
