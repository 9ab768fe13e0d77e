import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { probeCommands } from '../../src/probes/probe-commands.js';
import { around, sh, shellQuote } from '../../src/ssh/remote-command.js';

describe('remote commands', () => {
  it('quotes every interpolated value so the shell sees it as one literal word', () => {
    for (const hostile of ['node-3; reboot', '$(reboot)', '`reboot`', "it's", 'a\nb', '&& rm -rf /']) {
      const cmd = sh`printf %s ${hostile}`;
      assert.equal(execFileSync('sh', ['-c', cmd.text], { encoding: 'utf8' }), hostile);
    }
  });

  it('refuses NUL bytes and non-integer numbers', () => {
    assert.throws(() => shellQuote('a\0b'));
    assert.throws(() => sh`ping -c ${1.5}`);
  });

  it('probe templates embed inventory values quoted', () => {
    assert.equal(probeCommands.pingHost('198.18.0.10').text, 'LC_ALL=C ping -n -c 1 -W 1 198.18.0.10');
    assert.equal(probeCommands.routeGet('x; reboot').text, "LC_ALL=C ip -j route get 'x; reboot'");
  });

  it('around: commands built with sh go in as they are, values are still quoted', () => {
    const inner = sh`ip -j link show dev ${"it's"}`;
    const cmd = around`o=$(${inner} 2>/dev/null) || echo ${'NO DEV'} ${3}`;
    assert.equal(cmd.text, `o=$(ip -j link show dev 'it'\\''s' 2>/dev/null) || echo 'NO DEV' 3`);
  });
});
