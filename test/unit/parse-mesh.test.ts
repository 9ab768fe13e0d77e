import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInventory } from '../../src/config/load-inventory.js';
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

describe('/netcheck mesh text', () => {
  it('`mesh` alone is every inventory node, in inventory order', () => {
    const parsed = parseCommand(' mesh ', inventory);
    assert.equal(parsed.kind, 'mesh');
    assert.deepEqual(parsed.kind === 'mesh' && parsed.nodes.map((n) => n.name), ['cp-1', 'node-1', 'node-3']);
  });

  it('a subset in the order given, repeats dropped', () => {
    const parsed = parseCommand('mesh node-3 cp-1 node-3', inventory);
    assert.deepEqual(parsed.kind === 'mesh' && parsed.nodes.map((n) => n.name), ['node-3', 'cp-1']);
  });

  it('unknown names are refused with the valid ones listed (and a suggestion)', () => {
    const parsed = parseCommand('mesh cp-1 node-2 $(reboot)', inventory);
    assert.equal(parsed.kind, 'invalid');
    const message = parsed.kind === 'invalid' ? parsed.message : '';
    assert.match(message, /not in the inventory: "node-2", "\$\(reboot\)"/);
    assert.match(message, /did you mean `node-1` or `node-3`\?/);
    assert.match(message, /Valid nodes: `cp-1`, `node-1`, `node-3`\./);
    assert.match(message, /Nothing was run/);
  });

  it('a mesh needs two nodes', () => {
    const parsed = parseCommand('mesh node-1', inventory);
    assert.match(parsed.kind === 'invalid' ? parsed.message : '', /at least two nodes/);
  });

  it('the help lists the mesh', () => {
    assert.equal(parseCommand('help', inventory).kind, 'help');
  });
});
