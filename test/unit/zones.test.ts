import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, parseEnv } from '../../src/config/load-config.js';
import { parseInventory } from '../../src/config/load-inventory.js';
import { parseLabFlags } from '../../src/lab/lab-cli.js';
import { zoneQueueName, zoneRouting } from '../../src/queue/zone-routing.js';
import { parseCommand } from '../../src/slack/commands/parse-command.js';

const ZONED = `ssh: { user: root, privateKeyPath: k, knownHostsPath: h }
cluster: { podNetworkCidr: 10.244.0.0/16 }
nodes:
  - { name: cp-1, host: 198.18.0.10, role: control-plane, zone: rack-a }
  - { name: node-1, host: 198.18.0.11, role: worker }
  - { name: node-3, host: 198.18.0.13, role: worker, zone: rack-b }
`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('zones: inventory, environment, routing', () => {
  it('a node may carry a zone; without one it routes to the default queues', () => {
    const inventory = parseInventory(ZONED, '/x/inventory.yaml');
    const routing = zoneRouting(inventory);
    assert.equal(routing.zoneOf('node-3'), 'rack-b');
    assert.equal(routing.zoneOf('node-1'), undefined);
    assert.equal(zoneQueueName('probe', routing.zoneOf('node-3')), 'probe@rack-b');
    assert.equal(zoneQueueName('remediation', routing.zoneOf('cp-1')), 'remediation@rack-a');
    assert.equal(zoneQueueName('probe', routing.zoneOf('node-1')), 'probe');
  });

  for (const bad of ['Rack-B', 'rack_b', 'rack:b', '-rack', 'a'.repeat(33), '']) {
    it(`refuses zone ${JSON.stringify(bad)} with the line and what is expected`, () => {
      const text = ZONED.replace('zone: rack-b', `zone: ${JSON.stringify(bad)}`);
      const found = problems(() => parseInventory(text, '/x/inventory.yaml'));
      assert.equal(found.length, 1);
      assert.match(
        found[0]!,
        /inventory\.yaml:6 nodes\[2\]\.zone: expected a zone name of 1-32 lowercase letters/,
      );
    });
  }

  it('NETCHECK_ZONE takes a comma-separated list of zone names', () => {
    assert.deepEqual(parseEnv({ NETCHECK_ZONE: 'rack-a, rack-b' }).NETCHECK_ZONE, ['rack-a', 'rack-b']);
    assert.equal(parseEnv({}).NETCHECK_ZONE, undefined);
    assert.match(
      problems(() => parseEnv({ NETCHECK_ZONE: 'Rack A' }))[0]!,
      /^NETCHECK_ZONE="Rack A": expected a comma-separated list of zone names/,
    );
    assert.match(problems(() => parseEnv({ NETCHECK_ZONE: ',' }))[0]!, /NETCHECK_ZONE.*at least one zone/);
  });

  describe('a worker with NETCHECK_ZONE', () => {
    let dir: string;
    let env: Record<string, string>;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'netcheck-zones-'));
      await writeFile(path.join(dir, 'inventory.yaml'), ZONED);
      await writeFile(path.join(dir, 'k'), 'key');
      await writeFile(path.join(dir, 'h'), '');
      env = {
        NETCHECK_ROLE: 'worker',
        NETCHECK_INVENTORY: path.join(dir, 'inventory.yaml'),
        NETCHECK_PLAN_KEY: 'k'.repeat(32),
      };
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it('serves the zones named; unset: undefined (the default queue)', async () => {
      assert.deepEqual((await loadConfig({ ...env, NETCHECK_ZONE: 'rack-b' })).zones, ['rack-b']);
      assert.equal((await loadConfig(env)).zones, undefined);
    });

    it('refuses a zone no inventory node has (a typo would leave the zone unserved)', async () => {
      await assert.rejects(loadConfig({ ...env, NETCHECK_ZONE: 'rack-a,rack-c' }), (error: ConfigError) => {
        assert.equal(error.problems.length, 1);
        assert.match(
          error.problems[0]!,
          /NETCHECK_ZONE=rack-a,rack-c: no node in .*inventory\.yaml has zone "rack-c"; expected one of: rack-a, rack-b/,
        );
        return true;
      });
    });
  });
});

describe('/netcheck preflight <node>', () => {
  const inventory = parseInventory(ZONED, '/x/inventory.yaml');

  it('takes one inventory node', () => {
    const parsed = parseCommand(' preflight  node-3 ', inventory);
    assert.equal(parsed.kind, 'preflight');
    assert.equal(parsed.kind === 'preflight' && parsed.node.host, '198.18.0.13');
    assert.equal(parseCommand('PREFLIGHT node-1', inventory).kind, 'preflight');
  });

  it('refuses a missing, unknown, hostile or extra argument, with the reason', () => {
    assert.match(
      (parseCommand('preflight', inventory) as { message: string }).message,
      /preflight takes one node name/,
    );
    assert.match(
      (parseCommand('preflight node-1 node-3', inventory) as { message: string }).message,
      /preflight takes one node name/,
    );
    assert.match(
      (parseCommand('preflight node-9', inventory) as { message: string }).message,
      /no node "node-9" in the inventory.*Did you mean `node-1`/,
    );
    assert.match(
      (parseCommand('preflight $(reboot)', inventory) as { message: string }).message,
      /is not a node name/,
    );
  });

  it('a node actually named "preflight" can still be checked', () => {
    const named = parseInventory(
      `${ZONED}  - { name: preflight, host: 198.18.0.20, role: worker }\n`,
      '/x/i.yaml',
    );
    assert.equal(parseCommand('preflight', named).kind, 'check');
  });

  it('usage mentions it', () => {
    assert.equal(parseCommand('help', inventory).kind, 'help');
  });
});

describe('lab --standby', () => {
  it('collects standby node names', () => {
    assert.deepEqual(parseLabFlags(['--standby', 'node-4', '--standby', 'node-5']).standby, [
      'node-4',
      'node-5',
    ]);
    assert.deepEqual(parseLabFlags([]).standby, []);
  });
});
