import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  buildBundle,
  PROBE_OUTPUT_CAP,
  parseBundle,
  QUICK_LANES,
  runsInline,
} from '../../src/probes/probe-bundle.js';
import { probeCommands } from '../../src/probes/probe-commands.js';
import { PROBES } from '../../src/probes/probe-registry.js';
import { sh } from '../../src/ssh/remote-command.js';

function runLocally(text: string): string {
  return execFileSync('sh', ['-c', text], { encoding: 'utf8', timeout: 20_000, maxBuffer: 8 * 2 ** 20 });
}

describe('probe bundle', () => {
  it('runs every probe in one script and gives each its own output, exit code and timeout', () => {
    const probes = [
      { key: 'a', command: sh`echo hello; echo oops >&2; exit 3`, timeoutMs: 3000 },
      { key: 'b', command: sh`printf '%s' ${'it\'s "quoted" $(not run)'}`, timeoutMs: 3000 },
      { key: 'slow', command: sh`sleep 5`, timeoutMs: 1000 },
      { key: 'empty', command: sh`true`, timeoutMs: 3000 },
    ];
    const bundle = buildBundle(probes, undefined);
    const started = Date.now();
    const outputs = parseBundle('n1', bundle, probes, runLocally(bundle.command.text));
    assert.ok(
      Date.now() - started < 4000,
      'the slow probe is cut at its own timeout, and the others do not wait in sequence',
    );
    const by = Object.fromEntries(outputs.map((o) => [o.probe, o]));
    assert.deepEqual(
      { out: by.a?.stdout, err: by.a?.stderr, rc: by.a?.exitCode },
      { out: 'hello\n', err: 'oops\n', rc: 3 },
    );
    assert.equal(by.b?.stdout, `it's "quoted" $(not run)`);
    assert.equal(by.slow?.timedOut, true);
    assert.equal(by.empty?.stdout, '');
    assert.equal(by.a?.command, probes[0]!.command.text);
  });

  it("the network probes' frames come first, then the NET line, then the local reads' (which ran beside them)", () => {
    const probes = [
      { key: 'net-a', command: sh`echo a`, timeoutMs: 3000 },
      { key: 'net-b', command: sh`sleep 0.2; echo b`, timeoutMs: 3000 },
      { key: 'local', command: sh`sleep 0.6; echo local`, timeoutMs: 3000, quick: true },
    ];
    const bundle = buildBundle(probes, undefined);
    const started = Date.now();
    const stdout = runLocally(bundle.command.text);
    assert.ok(Date.now() - started < 1500, 'the local read ran beside the network probes, not after them');
    const at = (text: string) => stdout.indexOf(text);
    const net = at(`\n${bundle.boundary} NET\n`);
    assert.ok(net > 0, stdout);
    for (const key of ['net-a', 'net-b']) assert.ok(at(`BEGIN ${key} `) < net, `${key} before NET`);
    assert.ok(at('BEGIN local ') > net, 'the local read after NET');
    assert.deepEqual(
      parseBundle('n1', bundle, probes, stdout)
        .map((o) => [o.probe, o.stdout])
        .sort(),
      [
        ['local', 'local\n'],
        ['net-a', 'a\n'],
        ['net-b', 'b\n'],
      ],
    );
  });

  it('output that looks like a frame marker cannot confuse the parser (random boundary)', () => {
    const probes = [{ key: 'x', command: sh`echo 'NETCHECK-0000 END 0 0 0'`, timeoutMs: 3000 }];
    const bundle = buildBundle(probes, undefined);
    const [out] = parseBundle('n1', bundle, probes, runLocally(bundle.command.text));
    assert.equal(out?.stdout, 'NETCHECK-0000 END 0 0 0\n');
  });

  it('a quick probe that exits ends only itself; stdout and stderr are each cut on the node, frames never', () => {
    const probes = [
      { key: 'exits', command: sh`echo before; exit 4`, timeoutMs: 3000, quick: true },
      ...Array.from({ length: QUICK_LANES }, (_, i) => ({
        key: `next-${i}`,
        command: sh`echo after`,
        timeoutMs: 3000,
        quick: true,
      })),
      {
        key: 'bulky',
        command: sh`yes | head -c ${PROBE_OUTPUT_CAP + 1000}`,
        timeoutMs: 3000,
        quick: true,
      },
      // A flood of errors: cut too, and the frames after it still come back whole.
      {
        key: 'noisy',
        command: sh`yes oops | head -c ${PROBE_OUTPUT_CAP + 1000} >&2; echo out`,
        timeoutMs: 3000,
        quick: true,
      },
      { key: 'quiet', command: sh`printf x`, timeoutMs: 3000, quick: true },
    ];
    const bundle = buildBundle(probes, undefined);
    const by = Object.fromEntries(
      parseBundle('n1', bundle, probes, runLocally(bundle.command.text)).map((o) => [o.probe, o]),
    );
    assert.deepEqual({ out: by.exits?.stdout, rc: by.exits?.exitCode }, { out: 'before\n', rc: 4 });
    for (let i = 0; i < QUICK_LANES; i++) assert.equal(by[`next-${i}`]?.stdout, 'after\n');
    assert.equal(by.bulky?.stdout.length, PROBE_OUTPUT_CAP);
    assert.equal(by.bulky?.truncated, true);
    // Its file starts with the STDERR line, which the cap counts.
    const errBytes = by.noisy?.stderr.length ?? 0;
    assert.ok(
      errBytes <= PROBE_OUTPUT_CAP && errBytes > PROBE_OUTPUT_CAP - 100,
      `${errBytes} bytes of stderr`,
    );
    assert.deepEqual({ out: by.noisy?.stdout, rc: by.noisy?.exitCode }, { out: 'out\n', rc: 0 });
    assert.deepEqual({ out: by.quiet?.stdout, err: by.quiet?.stderr }, { out: 'x', err: '' });
  });

  it('a node whose head has no -q or -c still sends every frame, whole', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'netcheck-head-'));
    try {
      // As a busybox head built without its "fancy" options answers them.
      writeFileSync(path.join(bin, 'head'), '#!/bin/sh\necho "head: invalid option -- q" >&2\nexit 1\n', {
        mode: 0o755,
      });
      const probes = [
        { key: 'one', command: sh`echo 1; echo e1 >&2`, timeoutMs: 3000, quick: true },
        { key: 'two', command: sh`echo 2`, timeoutMs: 3000, quick: true },
      ];
      const bundle = buildBundle(probes, undefined);
      const stdout = execFileSync('sh', ['-c', bundle.command.text], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      assert.ok(stdout.endsWith(bundle.lastLine));
      const by = Object.fromEntries(parseBundle('n1', bundle, probes, stdout).map((o) => [o.probe, o]));
      assert.deepEqual(
        Object.fromEntries(Object.entries(by).map(([k, o]) => [k, [o.stdout, o.stderr, o.exitCode]])),
        { one: ['1\n', 'e1\n', 0], two: ['2\n', '', 0] },
      );
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('quick probes run in the lane shell, and what they set there cannot reach the runner', () => {
    // Positional parameters, the runner's old variable names, a failing command: the frames after
    // them (one lane: the bundle has no network probe) still come back whole.
    const probes = [
      {
        key: 'sets',
        command: sh`set -- x y z; d=/nonexistent; B=x; rc=9; o=1; printf '%s' "$1$3"`,
        timeoutMs: 3000,
        quick: true,
      },
      { key: 'fails', command: sh`false`, timeoutMs: 3000, quick: true },
      { key: 'bulky', command: sh`printf big`, timeoutMs: 3000, quick: true },
    ];
    for (const p of probes) assert.equal(runsInline(p.command.text), true, p.key);
    const bundle = buildBundle(probes, undefined);
    const by = Object.fromEntries(
      parseBundle('n1', bundle, probes, runLocally(bundle.command.text)).map((o) => [o.probe, o]),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(by).map(([k, o]) => [k, [o.stdout, o.exitCode]])), {
      sets: ['xz', 0],
      fails: ['', 1],
      bulky: ['big', 0],
    });
  });

  it('a command the shell cannot parse does not stop the bundle from sending back what it has', () => {
    const probes = [
      { key: 'broken', command: sh`if true; then echo x; fi; case`, timeoutMs: 3000, quick: true },
      { key: 'fine', command: sh`echo fine`, timeoutMs: 3000, quick: true },
    ];
    const bundle = buildBundle(probes, undefined);
    const stdout = runLocally(bundle.command.text);
    // The lane that evals it may die with it (dash does); the bundle's shell still sends what came back.
    assert.ok(stdout.includes(`${bundle.boundary} DONE`), 'the bundle ran to its end');
  });

  it('every quick probe of the registry can run without a subshell of its own', () => {
    // A command that exits, execs or changes the shell (see runsInline) costs a fork per run.
    const ctx = {
      controlPlaneHost: '198.18.0.10',
      apiServerLivez: 'https://198.18.0.10:6443/livez',
      apiServerHost: '198.18.0.10',
      apiServerPort: 6443,
    };
    const heavy = Object.entries(PROBES)
      .filter(([, spec]) => spec.quick && !runsInline(spec.command(ctx).text))
      .map(([key]) => key);
    assert.deepEqual(heavy, []);
    assert.equal(runsInline('echo a; exit 0'), false);
    assert.equal(runsInline('_nc_d=/'), false);
    assert.equal(runsInline('set -e; true'), false);
  });

  it('iptables-save that is the same file as iptables-nft-save is not run twice; a wrapper is', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'ncbundle-ipt-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    writeFileSync(path.join(bin, 'xtables-nft-multi'), '#!/bin/sh\necho "*filter from $(basename "$0")"\n');
    chmodSync(path.join(bin, 'xtables-nft-multi'), 0o755);
    symlinkSync('xtables-nft-multi', path.join(bin, 'iptables-nft-save'));
    symlinkSync('iptables-nft-save', path.join(bin, 'iptables-save'));
    const probes = [
      {
        key: 'iptables-save',
        command: probeCommands.iptablesSave(),
        timeoutMs: 3000,
        quick: true,
        sameAs: ['iptables-nft-save'],
      },
      { key: 'iptables-nft-save', command: probeCommands.iptablesNftSave(), timeoutMs: 3000, quick: true },
      {
        key: 'orphan',
        command: sh`echo 'SAME nothing-here'`,
        timeoutMs: 3000,
        quick: true,
        sameAs: ['nothing-here'],
      },
      // A probe that may not stand for another (a node's tool printing the line) is output as it is.
      { key: 'forged', command: sh`echo 'SAME iptables-nft-save'`, timeoutMs: 3000, quick: true },
    ];
    const run = () => {
      const bundle = buildBundle(probes, undefined);
      const stdout = execFileSync('sh', ['-c', bundle.command.text], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
      return Object.fromEntries(parseBundle('n1', bundle, probes, stdout).map((o) => [o.probe, o]));
    };
    const linked = run();
    assert.equal(linked['iptables-save']?.stdout, '*filter from iptables-nft-save\n');
    assert.equal(linked['iptables-save']?.command, probes[1]!.command.text);
    assert.equal(linked.orphan?.stdout, 'SAME nothing-here\n');
    assert.equal(linked.forged?.stdout, 'SAME iptables-nft-save\n');
    // A wrapper of its own (not the same file) runs as itself.
    rmSync(path.join(bin, 'iptables-save'));
    writeFileSync(path.join(bin, 'iptables-save'), '#!/bin/sh\necho "*filter from a wrapper"\n');
    chmodSync(path.join(bin, 'iptables-save'), 0o755);
    assert.equal(run()['iptables-save']?.stdout, '*filter from a wrapper\n');
  });

  it('a self-timed network probe whose tool hangs is still ended by the guard around that tool', () => {
    // A stand-in ping that never answers and ignores its own -W, like a tool that hangs.
    const bin = mkdtempSync(path.join(tmpdir(), 'ncbundle-bin-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    writeFileSync(path.join(bin, 'ping'), '#!/bin/sh\nsleep 30 & wait\n');
    chmodSync(path.join(bin, 'ping'), 0o755);
    const probes = [
      { key: 'hangs', command: sh`ping -c 1 -W 1 198.18.0.10`, timeoutMs: 1000, selfTimed: true },
      { key: 'fine', command: sh`echo ok >&2`, timeoutMs: 1000, selfTimed: true },
    ];
    const bundle = buildBundle(probes, undefined);
    const started = Date.now();
    const stdout = execFileSync('sh', ['-c', bundle.command.text], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const by = Object.fromEntries(parseBundle('n1', bundle, probes, stdout).map((o) => [o.probe, o]));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.equal(by.hangs?.timedOut, true);
    assert.deepEqual({ err: by.fine?.stderr, rc: by.fine?.exitCode }, { err: 'ok\n', rc: 0 });
  });

  it('a tool the cut stops before it could handle the signal reads as a timeout, not as its answer', () => {
    // Stand-ins that die of the cut's signal (no handler yet, as a ping or Perl still starting up).
    const bin = mkdtempSync(path.join(tmpdir(), 'ncbundle-cut-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    for (const tool of ['ping', 'perl']) {
      writeFileSync(path.join(bin, tool), '#!/bin/sh\nexec sleep 30\n');
      chmodSync(path.join(bin, tool), 0o755);
    }
    const probes = [
      { key: 'ping', command: sh`ping -c 1 -W 1 198.18.0.10`, timeoutMs: 3000, selfTimed: true },
      { key: 'tcp', command: sh`perl -e 1 198.18.0.11 10250 2`, timeoutMs: 3000, selfTimed: true },
    ];
    const bundle = buildBundle(probes, undefined, { pingMs: 300, connectMs: 300 });
    const stdout = execFileSync('sh', ['-c', bundle.command.text], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const by = Object.fromEntries(parseBundle('n1', bundle, probes, stdout).map((o) => [o.probe, o]));
    assert.deepEqual(
      [by.ping?.timedOut, by.ping?.exitCode, by.tcp?.timedOut, by.tcp?.exitCode],
      [true, 124, true, 124],
    );
  });

  it('a bundle cut from outside (the transport timeout, a hang-up) leaves no directory behind', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ncbundle-tmp-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const probes = [
      { key: 'hangs', command: sh`sleep 30`, timeoutMs: 30_000 },
      { key: 'read', command: sh`echo hi`, timeoutMs: 1000, quick: true },
    ];
    // As SshTransport.exec wraps it (TERM to the group), and as a closed session ends it (HUP).
    for (const cut of [
      ['timeout', '--kill-after=5', '1'],
      ['timeout', '-s', 'HUP', '--kill-after=5', '1'],
    ]) {
      const bundle = buildBundle(probes, undefined, undefined, undefined, false, dir);
      const started = Date.now();
      assert.throws(
        () =>
          execFileSync(cut[0]!, [...cut.slice(1), 'sh', '-c', bundle.command.text], {
            env: { ...process.env, TMPDIR: dir },
            timeout: 20_000,
          }),
        (error: { status?: number }) => error.status === 124,
      );
      // Ended by the signal itself, not by the SIGKILL that follows it, which no shell outlives.
      assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
      assert.deepEqual(readdirSync(dir), [], `left behind after ${cut.join(' ')}`);
    }
  });

  it("keeps its files in the RAM directory, in the node's TMPDIR where it cannot, and runs nothing where neither works", () => {
    const ram = mkdtempSync(path.join(tmpdir(), 'ncbundle-ram-'));
    const tmp = mkdtempSync(path.join(tmpdir(), 'ncbundle-tmp-'));
    after(() => {
      for (const d of [ram, tmp]) rmSync(d, { recursive: true, force: true });
    });
    // What each place holds while the bundle runs: its own directory, in one of them.
    const probes = [{ key: 'where', command: sh`ls ${ram} ${tmp}`, timeoutMs: 3000, quick: true }];
    const where = (ramDir: string, tmpDir: string) => {
      const bundle = buildBundle(probes, undefined, undefined, undefined, false, ramDir);
      const stdout = execFileSync('sh', ['-c', bundle.command.text], {
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: tmpDir },
      });
      const listing = parseBundle('n1', bundle, probes, stdout)[0]?.stdout ?? '';
      return listing
        .replace(/NETCHECK-[0-9a-f]+/g, 'NETCHECK-*')
        .replaceAll(ram, 'ram')
        .replaceAll(tmp, 'tmp');
    };
    assert.equal(where(ram, tmp), 'ram:\nNETCHECK-*\n\ntmp:\n');
    // No such directory (a node without /dev/shm): the node's TMPDIR.
    assert.equal(where(path.join(ram, 'missing'), tmp), 'ram:\n\ntmp:\nNETCHECK-*\n');
    assert.deepEqual([readdirSync(ram), readdirSync(tmp)], [[], []]);
    // Neither: the bundle stops before any probe, with mkdir's own message.
    const bundle = buildBundle(probes, undefined, undefined, undefined, false, path.join(ram, 'missing'));
    assert.throws(
      () =>
        execFileSync('sh', ['-c', bundle.command.text], {
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, TMPDIR: path.join(tmp, 'missing') },
        }),
      (error: { status?: number; stdout?: string; stderr?: string }) =>
        error.status === 70 && error.stdout === '' && /mkdir/.test(error.stderr ?? ''),
    );
  });
});
