import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildBundle, parseBundle } from '../../src/probes/probe-bundle.js';
import { sh } from '../../src/ssh/remote-command.js';

function runLocally(text: string): string {
  return execFileSync('sh', ['-c', text], { encoding: 'utf8', timeout: 20_000 });
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

  it('output that looks like a frame marker cannot confuse the parser (random boundary)', () => {
    const probes = [{ key: 'x', command: sh`echo 'NETCHECK-0000 END 0 0 0'`, timeoutMs: 3000 }];
    const bundle = buildBundle(probes, undefined);
    const [out] = parseBundle('n1', bundle, probes, runLocally(bundle.command.text));
    assert.equal(out?.stdout, 'NETCHECK-0000 END 0 0 0\n');
  });
});
