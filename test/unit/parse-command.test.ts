import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInventory } from '../../src/config/load-inventory.js';
import { closeMatches } from '../../src/config/node-name.js';
import { parseCommand } from '../../src/slack/commands/parse-command.js';

const inventory = parseInventory(
  `ssh: { user: root, privateKeyPath: k, knownHostsPath: h }
cluster: { podNetworkCidr: 10.244.0.0/16 }
nodes:
  - { name: cp-1, host: 198.18.0.10, role: control-plane }
  - { name: node-1, host: 198.18.0.11, role: worker }
  - { name: node-3, host: 198.18.0.13, role: worker }
`,
  '/x/inventory.yaml',
);

describe('/netcheck text', () => {
  it('help and empty text give usage', () => {
    assert.equal(parseCommand('', inventory).kind, 'help');
    assert.equal(parseCommand('  HELP ', inventory).kind, 'help');
  });

  it('a known node is accepted and resolved to the inventory entry', () => {
    const parsed = parseCommand(' node-3 ', inventory);
    assert.equal(parsed.kind, 'check');
    assert.equal(parsed.kind === 'check' && parsed.node.host, '198.18.0.13');
  });

  for (const hostile of [
    'node-3; reboot',
    '$(reboot)',
    '`reboot`',
    'node-3 && reboot',
    'NODE-3',
    '../etc/passwd',
    'node-3\nreboot',
  ]) {
    it(`refuses ${JSON.stringify(hostile)} with an explanation`, () => {
      const parsed = parseCommand(hostile, inventory);
      assert.equal(parsed.kind, 'invalid');
      assert.match(parsed.kind === 'invalid' ? parsed.message : '', /Nothing was run/);
    });
  }

  it('suggests close matches for an unknown node', () => {
    const parsed = parseCommand('node-4', inventory);
    assert.equal(parsed.kind, 'invalid');
    assert.match(
      parsed.kind === 'invalid' ? parsed.message : '',
      /no node "node-4" in the inventory.*Did you mean `node-1` or `node-3`/s,
    );
    assert.match(
      (parseCommand('node-3; reboot', inventory) as { message: string }).message,
      /Did you mean `node-3`/,
    );
  });

  it('close matches rank by edit distance and ignore unrelated names', () => {
    assert.deepEqual(closeMatches('nod-3', ['node-3', 'cp-1', 'node-30']), ['node-3', 'node-30']);
    assert.deepEqual(closeMatches('database', ['node-3', 'cp-1']), []);
  });
});
