import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnv } from '../../src/config/load-config.js';
import { remedyCommands } from '../../src/remediation/remedy-commands.js';

describe('backup settings', () => {
  it('default to the newest 10 and 30 days; ages read in minutes, hours or days', () => {
    const env = parseEnv({});
    assert.equal(env.NETCHECK_BACKUP_KEEP, 10);
    assert.equal(env.NETCHECK_BACKUP_MAX_AGE, 30 * 1440);
    const set = parseEnv({ NETCHECK_BACKUP_KEEP: '3', NETCHECK_BACKUP_MAX_AGE: '12h' });
    assert.deepEqual([set.NETCHECK_BACKUP_KEEP, set.NETCHECK_BACKUP_MAX_AGE], [3, 720]);
  });

  it('refuses values that would prune the backup a rollback needs, or that mean nothing, naming the variable', () => {
    for (const [name, value, why] of [
      ['NETCHECK_BACKUP_KEEP', 'x', /whole number such as 10/],
      ['NETCHECK_BACKUP_KEEP', '1', /at least 2/],
      ['NETCHECK_BACKUP_KEEP', '2.5', /whole number/],
      ['NETCHECK_BACKUP_MAX_AGE', '30', /such as 30d, 12h or 90m/],
      ['NETCHECK_BACKUP_MAX_AGE', '5m', /at least 1h/],
    ] as const)
      assert.throws(
        () => parseEnv({ [name]: value }),
        (e: Error) => e.message.includes(`${name}="${value}"`) && why.test(e.message),
      );
  });

  it('the backup step makes a private folder, then prunes only netcheck-named folders inside /var/backups/netcheck', () => {
    const text = remedyCommands.backupIptables({
      dir: '/var/backups/netcheck/20261124T030000-plan-1',
      keep: 4,
      maxAgeMinutes: 90,
    }).text;
    assert.match(
      text,
      /^umask 077 && mkdir -p \/var\/backups\/netcheck\/20261124T030000-plan-1 && chmod 700 /,
    );
    assert.match(
      text,
      /cd \/var\/backups\/netcheck && find \. -mindepth 1 -maxdepth 1 -type d -name '\[0-9\]\*T\[0-9\]\*-plan-\*' ! -name 20261124T030000-plan-1 -mmin \+90 /,
    );
    assert.match(text, /n=\$\(\(\$# - 4\)\)/);
  });
});
