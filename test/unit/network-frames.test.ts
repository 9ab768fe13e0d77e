import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchNetworkFrames } from '../../src/probes/network-frames.js';
import { buildBundle } from '../../src/probes/probe-bundle.js';
import type { ProbeOutput } from '../../src/probes/probe-output.js';
import { sh } from '../../src/ssh/remote-command.js';

const probes = [{ key: 'ping-node:node-1', command: sh`ping node-1`, timeoutMs: 3000 }];

describe("the target's network frames, read as they arrive", () => {
  const bundle = buildBundle(probes, undefined);
  const b = bundle.boundary;
  const frame = `\n${b} BEGIN ping-node:node-1 ping node-1\nrtt ≈ 0.1 ms\n${b} STDERR\n\n${b} END 0 5\n`;

  it('hands the outputs over once, at the NET line, however the stream is cut (mid-line, mid-character)', () => {
    const seen: ProbeOutput[][] = [];
    const watch = watchNetworkFrames('node-3', bundle, probes, (o) => seen.push(o));
    const bytes = Buffer.from(`${frame}\n${b} NET\n\n${b} BEGIN local x\nlater\n`);
    const cut = frame.indexOf('≈') + 1; // inside the character's UTF-8 bytes
    for (const part of [
      bytes.subarray(0, cut),
      bytes.subarray(cut, bytes.length - 30),
      bytes.subarray(bytes.length - 30),
    ])
      watch(part);
    watch(Buffer.from(`\n${b} NET\n`));
    assert.equal(seen.length, 1);
    assert.deepEqual(
      seen[0]!.map((o) => [o.probe, o.stdout, o.exitCode]),
      [['ping-node:node-1', 'rtt ≈ 0.1 ms', 0]],
    );
  });

  it('nothing without the NET line (a bundle cut before its network probes ended)', () => {
    const seen: ProbeOutput[][] = [];
    const watch = watchNetworkFrames('node-3', bundle, probes, (o) => seen.push(o));
    watch(Buffer.from(frame));
    assert.deepEqual(seen, []);
  });
});
