import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { probeCommands } from '../../src/probes/probe-commands.js';
import { standInTools } from '../support/bundle-run.js';

/**
 * The legacy iptables probe in a network namespace of its own (`unshare -n`, root): the tool runs
 * only where the namespace has a legacy table; elsewhere the output is what the tool would print.
 */
describe('iptables-legacy-save runs only where a legacy table exists', () => {
  const command = probeCommands.iptablesLegacySave().text;
  // A stand-in for the save tool only: it says it ran. iptables-legacy itself is the real one.
  const bin = standInTools({ 'iptables-legacy-save': 'echo "STAND-IN RAN"' });
  const inFreshNetns = (before: string) =>
    execFileSync('unshare', ['-n', 'sh', '-c', `${before}\n${command}`], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });

  it('a namespace without legacy tables: no output, nothing started', () => {
    const out = inFreshNetns('true');
    assert.ok(out === '' || out === 'NOTABLES\n', `got ${JSON.stringify(out)}`);
  });

  it('a namespace with a legacy table: the tool runs', () => {
    // Listing the filter table creates it in this namespace (x_tables loads where it can). The
    // listing printed first says what the namespace has; the tool runs exactly when it has a table.
    const out = inFreshNetns(
      'iptables-legacy -t filter -L >/dev/null 2>&1; printf \'LISTED %s\\n\' "$(cat /proc/net/ip_tables_names 2>/dev/null)"',
    );
    assert.match(
      out,
      /^LISTED filter\n/,
      'this kernel keeps legacy tables (x_tables), as the lab and CI machines do',
    );
    assert.equal(out, 'LISTED filter\nSTAND-IN RAN\n');
  });
});
