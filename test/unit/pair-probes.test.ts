import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  buildPairProbeScript,
  type PairProbeTarget,
  parsePairProbeOutput,
} from '../../src/probes/pair-probes.js';

const run = promisify(execFile);

async function runLocally(text: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run('sh', ['-c', text], { encoding: 'utf8', timeout: 20_000, env });
  return stdout;
}

describe('pair probes', () => {
  it('probes ICMP and TCP targets in one process: reply, connected, refused', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const targets: PairProbeTarget[] = [
        { key: 'lo/icmp', kind: 'icmp', host: '127.0.0.1' },
        { key: 'lo2/icmp', kind: 'icmp', host: '127.0.0.2' },
        { key: 'lo/tcp-open', kind: 'tcp', host: '127.0.0.1', port },
        { key: 'lo/tcp-closed', kind: 'tcp', host: '127.0.0.1', port: 1 },
      ];
      const script = buildPairProbeScript(targets);
      const started = Date.now();
      const results = parsePairProbeOutput(script, targets, await runLocally(script.command.text));
      assert.ok(Date.now() - started < 1500, 'answered probes do not wait for the deadline');
      assert.deepEqual(Object.fromEntries(results), {
        'lo/icmp': { outcome: 'ok', detail: 'reply' },
        'lo2/icmp': { outcome: 'ok', detail: 'reply' },
        'lo/tcp-open': { outcome: 'ok', detail: 'connected' },
        'lo/tcp-closed': { outcome: 'refused', detail: 'ECONNREFUSED' },
      });
    } finally {
      server.close();
    }
  });

  it('without Perl, ICMP falls back to ping processes and TCP is unknown', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nc-noperl-'));
    try {
      for (const tool of ['sh', 'ping', 'xargs', 'timeout', 'printf', 'echo', 'true']) {
        const { stdout } = await run('sh', ['-c', `command -v ${tool}`]);
        if (stdout.trim().startsWith('/')) symlinkSync(stdout.trim(), path.join(dir, tool));
      }
      const targets: PairProbeTarget[] = [
        { key: 'a', kind: 'icmp', host: '127.0.0.1' },
        { key: 'b', kind: 'tcp', host: '127.0.0.1', port: 1 },
      ];
      const script = buildPairProbeScript(targets);
      const out = await runLocally(script.command.text, { PATH: dir });
      const results = parsePairProbeOutput(script, targets, out);
      assert.deepEqual(results.get('a'), { outcome: 'ok', detail: 'reply' });
      assert.deepEqual(results.get('b'), { outcome: 'unknown', detail: 'no-perl' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('node output is hostile: only framed lines with a known id, outcome and one-word detail count', () => {
    const targets: PairProbeTarget[] = [
      { key: 'x', kind: 'icmp', host: '198.18.0.11' },
      { key: 'y', kind: 'tcp', host: '198.18.0.12', port: 10250 },
    ];
    const b = 'NCPAIR-abc';
    const out = [
      'motd noise',
      `${b} 0 ok reply`,
      `${b} 0 fail EPERM`,
      `${b} 1 pwned $(rm -rf)`,
      `${b} 7 ok reply`,
      `NCPAIR-other 1 ok connected`,
    ].join('\n');
    const results = parsePairProbeOutput({ boundary: b }, targets, out, 'exec-timeout');
    assert.deepEqual(results.get('x'), { outcome: 'ok', detail: 'reply' });
    assert.deepEqual(results.get('y'), { outcome: 'unknown', detail: 'exec-timeout' });
  });

  it('refuses a target that is not an IPv4 address or a TCP target without a port', () => {
    assert.throws(() => buildPairProbeScript([{ key: 'a', kind: 'icmp', host: 'x; rm -rf /' }]), /IPv4/);
    assert.throws(() => buildPairProbeScript([{ key: 'a', kind: 'tcp', host: '198.18.0.1' }]), /port/);
  });
});
