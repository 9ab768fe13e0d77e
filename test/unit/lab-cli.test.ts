import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFaultSpec } from '../../src/lab/fault-spec.js';
import { parseLabFlags } from '../../src/lab/lab-cli.js';

describe('lab command line', () => {
  it('parses ID@NODE fault specs and names what is valid otherwise', () => {
    assert.deepEqual(parseFaultSpec('icmp-blocked@cp-1'), { id: 'icmp-blocked', node: 'cp-1' });
    assert.throws(() => parseFaultSpec('icmp-blocked'), /expected ID@NODE/);
    assert.throws(
      () => parseFaultSpec('dns-broken@node-1'),
      /unknown fault "dns-broken"; known faults: icmp-blocked, /,
    );
    assert.throws(() => parseFaultSpec('icmp-blocked@node-1;reboot'), /expected ID@NODE/);
  });

  it('parses flags and refuses bad ones', () => {
    const f = parseLabFlags([
      '--workers',
      '5',
      '--fault',
      'mtu-mismatch@node-2',
      '--lab-id',
      'x1',
      '--net-index',
      '7',
    ]);
    assert.deepEqual(
      { w: f.workers, id: f.labId, n: f.netIndex, faults: f.faults },
      { w: 5, id: 'x1', n: 7, faults: [{ id: 'mtu-mismatch', node: 'node-2' }] },
    );
    assert.throws(() => parseLabFlags(['--workers', 'many']), /--workers needs a whole number, got "many"/);
    assert.throws(() => parseLabFlags(['--frobnicate']), /unknown option --frobnicate/);
    assert.throws(() => parseLabFlags(['--fault']), /--fault needs a value/);
  });

  it('parses --distro for every node or one node, and refuses unknown releases', () => {
    assert.deepEqual(parseLabFlags(['--distro', 'bookworm', '--distro', 'node-2=trixie']).distros, {
      '*': 'bookworm',
      'node-2': 'trixie',
    });
    assert.throws(() => parseLabFlags(['--distro', 'node-2=sid']), /--distro expects \[NODE=\]RELEASE/);
    assert.throws(() => parseLabFlags(['--distro', '=trixie']), /--distro expects/);
  });

  it('--nodes N is one control plane and N-1 workers, 2..200, and must agree with --workers', () => {
    assert.equal(parseLabFlags(['--nodes', '100']).workers, 99);
    assert.equal(parseLabFlags(['--nodes', '2']).workers, 1);
    assert.equal(parseLabFlags(['--nodes', '5', '--workers', '4']).workers, 4);
    assert.throws(() => parseLabFlags(['--nodes', '1']), /--nodes 1 is invalid: expected 2\.\.200/);
    assert.throws(() => parseLabFlags(['--nodes', '201']), /expected 2\.\.200/);
    assert.throws(() => parseLabFlags(['--nodes', '5', '--workers', '2']), /disagree/);
  });
});
