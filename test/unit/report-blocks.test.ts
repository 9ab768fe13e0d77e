import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose } from '../../src/diagnosis/diagnose.js';
import { PROBE } from '../../src/probes/probe-registry.js';
import { renderReport } from '../../src/slack/blocks/report-blocks.js';
import { clusterFacts, fixture } from '../support/facts-builder.js';

function textsOf(blocks: Record<string, unknown>[]): string[] {
  return JSON.stringify(blocks).match(/"text":"(?:[^"\\]|\\.)*"/g) ?? [];
}

describe('report blocks', () => {
  it('puts the root cause first, with its id in backticks and the evidence lines', () => {
    const report = diagnose(
      clusterFacts({
        worker: { [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') } },
        cp: {
          [PROBE.iptables]: { stdout: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\nCOMMIT\n' },
        },
      }),
    );
    const message = renderReport(report, 'run-1', new Set(['cp-1']));
    assert.match(message.text, /`icmp-blocked`/);
    const first = JSON.stringify(message.blocks[0]);
    assert.match(first, /`icmp-blocked`/);
    assert.match(JSON.stringify(message.blocks), /-A INPUT -p icmp -j DROP/);
  });

  it('stays within Block Kit limits when the evidence is huge, and says what was cut', () => {
    const huge = `*filter\n:INPUT ACCEPT [0:0]\n${Array.from({ length: 5000 }, (_, i) => `-A INPUT -p icmp -m comment --comment "rule ${i}" -j DROP`).join('\n')}\nCOMMIT\n`;
    const report = diagnose(
      clusterFacts({
        worker: {
          [PROBE.pingControlPlane]: { exitCode: 1, stdout: fixture('ping-timeout.txt') },
          [PROBE.flannelLink]: { stdout: 'NODEV\n' },
          [PROBE.cniConfig]: {
            stdout: `DIR /etc/cni/net.d\n${Array.from({ length: 400 }, (_, i) => `${i}-x.conf`).join('\n')}\n`,
          },
        },
        cp: { [PROBE.iptables]: { stdout: huge } },
      }),
    );
    const message = renderReport(report, 'run-1', new Set(['cp-1']));
    assert.ok(message.blocks.length <= 50, `${message.blocks.length} blocks`);
    for (const t of textsOf(message.blocks)) assert.ok(JSON.parse(`{${t}}`).text.length <= 3000);
    assert.match(JSON.stringify(message.blocks), /cut/);
  });

  it('escapes mrkdwn control characters in evidence', () => {
    const report = diagnose(
      clusterFacts({ worker: { [PROBE.cniConfig]: { stdout: 'DIR /etc/cni/net.d\n<!channel>.conf\n' } } }),
    );
    assert.doesNotMatch(JSON.stringify(renderReport(report, 'r', new Set(['cp-1'])).blocks), /<!channel>/);
  });
});
