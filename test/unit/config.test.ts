import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, parseEnv } from '../../src/config/load-config.js';
import { parseInventory } from '../../src/config/load-inventory.js';

const GOOD = `ssh:
  user: root
  privateKeyPath: ./keys/id_ed25519
  knownHostsPath: ./keys/known_hosts
cluster:
  podNetworkCidr: 10.244.0.0/16
nodes:
  - { name: cp-1,   host: 198.18.0.10, port: 22, role: control-plane }
  - { name: node-3, host: 198.18.0.13, role: worker }
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

describe('inventory', () => {
  it('parses the contract format, resolves paths and defaults the API server to the control plane', () => {
    const inv = parseInventory(GOOD, '/etc/netcheck/inventory.yaml');
    assert.equal(inv.ssh.privateKeyPath, '/etc/netcheck/keys/id_ed25519');
    assert.deepEqual(inv.cluster.apiServer, {
      url: 'https://198.18.0.10:6443',
      host: '198.18.0.10',
      port: 6443,
    });
    assert.equal(inv.nodes[1]?.port, 22);
  });

  it('names the file, line and field of a bad value', () => {
    const [p] = problems(() =>
      parseInventory(GOOD.replace('host: 198.18.0.13', 'host: "198.18.0.13; reboot"'), '/x/inventory.yaml'),
    );
    assert.match(
      p!,
      /^inventory\.yaml:9 nodes\[1\]\.host: expected an IPv4\/IPv6 address or a DNS host name/,
    );
  });

  it('reports unknown fields, missing sections, bad names and bad CIDRs all at once', () => {
    const text = GOOD.replace(
      'podNetworkCidr: 10.244.0.0/16',
      'podNetworkCidr: 10.244.0.0/33\n  colour: blue',
    )
      .replace('name: node-3', 'name: Node_3')
      .replace(/ssh:[\s\S]*?cluster:/, 'cluster:');
    const found = problems(() => parseInventory(text, '/x/inventory.yaml'));
    assert.ok(
      found.some((p) => /ssh: missing/.test(p)),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => /cluster\.podNetworkCidr: expected an IPv4 CIDR/.test(p)),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => /unknown field\(s\) "colour"/.test(p)),
      found.join('\n'),
    );
    assert.ok(
      found.some((p) => /nodes\[1\]\.name: expected a DNS-1123 node name/.test(p)),
      found.join('\n'),
    );
  });

  it('refuses duplicate names, duplicate endpoints, no control plane, and invalid YAML', () => {
    const dup = GOOD.replace('name: node-3, host: 198.18.0.13', 'name: cp-1, host: 198.18.0.10');
    const found = problems(() => parseInventory(dup, '/x/inventory.yaml'));
    assert.ok(found.some((p) => /"cp-1" is already used by nodes\[0\]/.test(p)));
    assert.ok(found.some((p) => /198\.18\.0\.10:22 is already used/.test(p)));
    assert.match(
      problems(() => parseInventory(GOOD.replace('control-plane', 'worker'), '/x/i.yaml'))[0]!,
      /no node has role: control-plane/,
    );
    assert.match(
      problems(() => parseInventory('nodes: [\n', '/x/i.yaml'))[0]!,
      /^i\.yaml:\d+: not valid YAML/,
    );
  });
});

describe('environment', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    assert.equal(env.PORT, 3000);
    assert.equal(env.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(env.NETCHECK_INVENTORY, './inventory.yaml');
    assert.equal(env.NETCHECK_ROLE, 'all');
    assert.equal(env.SLACK_API_URL, 'https://slack.com/api/');
    assert.deepEqual(env.NETCHECK_APPROVERS, []);
  });

  it('names every bad variable and hides secrets', () => {
    const found = problems(() =>
      parseEnv({
        PORT: 'eighty',
        NETCHECK_ROLE: 'both',
        REDIS_URL: 'http://x',
        SLACK_BOT_TOKEN: 'xoxp-secret',
        NETCHECK_APPROVERS: 'U123,bob',
      }),
    );
    assert.equal(found.length, 5, found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('PORT="eighty": expected a TCP port number')));
    assert.ok(found.some((p) => p.startsWith('NETCHECK_ROLE="both": expected one of: all, bot, worker')));
    assert.ok(found.some((p) => p.startsWith('SLACK_BOT_TOKEN=(value hidden)')));
    assert.ok(!found.join('\n').includes('xoxp-secret'));
  });
});

const KEY = 'k'.repeat(32);

describe('loadConfig per role', () => {
  let dir: string;
  let inventoryPath: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'netcheck-config-'));
    inventoryPath = path.join(dir, 'inventory.yaml');
    await writeFile(inventoryPath, GOOD);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a bot needs Slack settings but no SSH key', async () => {
    const config = await loadConfig({
      NETCHECK_ROLE: 'bot',
      NETCHECK_INVENTORY: inventoryPath,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret-123',
    });
    assert.equal(config.slack?.botToken, 'xoxb-1');
  });

  it('a worker needs the SSH key and known_hosts but no Slack token', async () => {
    await assert.rejects(
      loadConfig({ NETCHECK_ROLE: 'worker', NETCHECK_INVENTORY: inventoryPath, NETCHECK_PLAN_KEY: KEY }),
      (error: ConfigError) => {
        assert.equal(error.problems.length, 2);
        assert.match(error.problems[0]!, /ssh\.privateKeyPath=.*id_ed25519: cannot read this file/);
        assert.ok(!error.message.includes('SLACK'));
        return true;
      },
    );
  });

  it('role all without Slack settings and with a missing inventory names all of it', async () => {
    await assert.rejects(
      loadConfig({ NETCHECK_INVENTORY: path.join(dir, 'nope.yaml') }),
      (error: ConfigError) => {
        const text = error.problems.join('\n');
        assert.match(text, /SLACK_BOT_TOKEN is not set/);
        assert.match(text, /SLACK_SIGNING_SECRET is not set/);
        assert.match(text, /NETCHECK_PLAN_KEY is not set; .*NETCHECK_ROLE=all runs a worker/);
        assert.match(
          text,
          /NETCHECK_INVENTORY=.*nope\.yaml: cannot read the inventory \(the file does not exist\)/,
        );
        return true;
      },
    );
  });

  it('a worker refuses to start without the plan key; a bot refuses to start with one', async () => {
    await assert.rejects(
      loadConfig({ NETCHECK_ROLE: 'worker', NETCHECK_INVENTORY: inventoryPath }),
      (error: ConfigError) => error.problems.some((p) => p.startsWith('NETCHECK_PLAN_KEY is not set')),
    );
    await assert.rejects(
      loadConfig({
        NETCHECK_ROLE: 'bot',
        NETCHECK_INVENTORY: inventoryPath,
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'secret-123',
        NETCHECK_PLAN_KEY: KEY,
      }),
      (error: ConfigError) => {
        assert.deepEqual(error.problems.length, 1);
        assert.match(error.problems[0]!, /^NETCHECK_PLAN_KEY is set for NETCHECK_ROLE=bot; remove it/);
        return true;
      },
    );
  });

  it('a short plan key is refused without being shown', () => {
    assert.throws(
      () => parseEnv({ NETCHECK_PLAN_KEY: 'short-secret-value' }),
      (error: ConfigError) => {
        assert.match(
          error.problems[0]!,
          /^NETCHECK_PLAN_KEY=\(value hidden\): expected a secret of at least 32/,
        );
        assert.ok(!error.message.includes('short-secret-value'));
        return true;
      },
    );
  });

  it('channels, users and approver groups are parsed; a bad REDIS_URL is shown without its password', () => {
    const env = parseEnv({
      NETCHECK_CHANNELS: 'C0INCIDENT, G0PRIVATE',
      NETCHECK_USERS: 'U0ALICE,S0ONCALL',
      NETCHECK_APPROVERS: 'U0BOB,S0SRE',
    });
    assert.deepEqual(env.NETCHECK_CHANNELS, ['C0INCIDENT', 'G0PRIVATE']);
    assert.deepEqual(env.NETCHECK_USERS, ['U0ALICE', 'S0ONCALL']);
    assert.deepEqual(env.NETCHECK_APPROVERS, ['U0BOB', 'S0SRE']);
    assert.throws(
      () => parseEnv({ REDIS_URL: 'http://:hunter2-password@redis:6379', NETCHECK_CHANNELS: 'general' }),
      (error: ConfigError) => {
        assert.ok(!error.message.includes('hunter2'), error.message);
        assert.match(error.message, /REDIS_URL="http:\/\/\*\*\*@redis:6379"/);
        assert.match(
          error.message,
          /NETCHECK_CHANNELS="general": expected a comma-separated list of Slack channel ids/,
        );
        return true;
      },
    );
  });
});
