import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixedClock } from '../../src/core/clock.js';
import { collectFacts, SWEEP_AFTER_CUT_MS } from '../../src/probes/collect-facts.js';
import { buildBundle, LEFTOVER_AGE_MIN } from '../../src/probes/probe-bundle.js';
import type { ProbeExecResult, ProbeTransport } from '../../src/probes/probe-transport.js';
import { sh } from '../../src/ssh/remote-command.js';
import { testInventory } from '../support/test-inventory.js';

/**
 * A bundle killed before its EXIT trap ran (SIGKILL on an overloaded node) leaves its directory in
 * the node's temporary directory; the next bundle on that node removes such leftovers.
 */
describe("a cut bundle's directory is removed by the node's next bundle", () => {
  /** A temporary directory as a node's: an old leftover, a fresh one, and things that are not ours. */
  function nodeTmp() {
    const dir = mkdtempSync(path.join(tmpdir(), 'ncleft-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const old = (Date.now() - (LEFTOVER_AGE_MIN + 1) * 60_000) / 1000;
    const make = (name: string, age: number | undefined) => {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, '0.a'), 'frame');
      if (age !== undefined) utimesSync(path.join(dir, name), age, age);
    };
    make('NETCHECK-0123456789abcdef01', old); // left by a killed bundle
    make('NETCHECK-fedcba9876543210fe', undefined); // a bundle running now
    make('something-else', old);
    // A leftover holding a link out of the temporary directory: the link goes, not its target.
    const outside = mkdtempSync(path.join(tmpdir(), 'ncleft-target-'));
    after(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(path.join(outside, 'keep'), 'not ours');
    make('NETCHECK-aaaaaaaaaaaaaaaaaa', undefined);
    symlinkSync(outside, path.join(dir, 'NETCHECK-aaaaaaaaaaaaaaaaaa', 'link'));
    utimesSync(path.join(dir, 'NETCHECK-aaaaaaaaaaaaaaaaaa'), old, old);
    return { dir, outside };
  }
  /** A bundle whose RAM directory is `ram` (/dev/shm on a node), on a node whose TMPDIR is `tmp`. */
  const run = (ram: string, tmp: string, sweep: boolean) => {
    const bundle = buildBundle(
      [{ key: 'x', command: sh`echo hi`, timeoutMs: 3000, quick: true }],
      undefined,
      undefined,
      undefined,
      sweep,
      ram,
    );
    const out = execFileSync('sh', ['-c', bundle.command.text], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp },
    });
    assert.match(out, /DONE/);
  };

  it('removes only bundle directories older than the age, and nothing a link inside points to', () => {
    // Both places a bundle may have used: the RAM directory, and the node's TMPDIR where it had none.
    const ram = nodeTmp();
    const tmp = nodeTmp();
    run(ram.dir, tmp.dir, true);
    for (const { dir, outside } of [ram, tmp]) {
      assert.deepEqual(readdirSync(dir).sort(), ['NETCHECK-fedcba9876543210fe', 'something-else']);
      assert.deepEqual(readdirSync(outside), ['keep']);
    }
  });

  it("runs behind the timed probes, at the local reads' lowered priority", () => {
    const text = buildBundle(
      [{ key: 'ping-x', command: sh`ping -c 1 198.18.0.11`, timeoutMs: 3000, selfTimed: true }],
      undefined,
      undefined,
      undefined,
      true,
    ).command.text;
    const at = (s: string) => text.indexOf(s);
    assert.ok(at('net 0 ping-x') < at('renice -n 10') && at('renice -n 10') < at("-name 'NETCHECK-*'"));
  });

  it('a bundle that was not asked to leaves them', () => {
    const { dir } = nodeTmp();
    run(dir, dir, false);
    assert.equal(readdirSync(dir).length, 4);
  });

  it('the collector asks for it once leftovers of a cut bundle are old enough, then stops', async () => {
    const inventory = testInventory(['node-3']);
    const results: Partial<ProbeExecResult>[] = [{ timedOut: true, exitCode: 124 }];
    const swept: boolean[] = [];
    const transport: ProbeTransport = {
      connect: async () => undefined,
      exec: async (target, command) => {
        if (target.name === 'cp-1') swept.push(command.text.includes("-name 'NETCHECK-*'"));
        const r = target.name === 'cp-1' ? (results.shift() ?? {}) : {};
        return {
          exitCode: 0,
          stdout: '',
          stderr: '',
          truncated: false,
          timedOut: false,
          durationMs: 1,
          ...r,
        };
      },
    };
    const clock = fixedClock(0);
    const deps = {
      transport,
      kube: async () => ({ status: 'disabled' }) as const,
      now: clock.monotonicMs,
      isoNow: clock.isoNow,
      cutBundles: new Map<string, number>(),
    };
    const look = () => collectFacts(deps, inventory, inventory.nodes[1]!);
    await look(); // cut
    await look(); // what it left is not old enough to be told from a running bundle's
    clock.advance(SWEEP_AFTER_CUT_MS);
    await look(); // removes it
    await look(); // nothing left to remove
    assert.deepEqual(swept, [false, false, true, false]);
  });
});
