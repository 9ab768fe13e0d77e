import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkNodeVersion, MIN_NODE_VERSION } from '../../src/core/node-version.js';

describe('checkNodeVersion', () => {
  it('accepts the minimum and anything newer, with or without a leading v', () => {
    for (const v of [MIN_NODE_VERSION, 'v20.18.1', '20.19.2', '20.20.2', '22.0.0', 'v24.1.0', '20.19.2+dfsg'])
      assert.equal(checkNodeVersion(v), undefined, v);
  });

  it('refuses older versions with one line naming what it needs and what it found', () => {
    for (const [v, shown] of [
      ['18.19.0', '18.19.0'], // Debian 12's nodejs
      ['v20.11.0', '20.11.0'],
      ['20.18.0', '20.18.0'],
      ['19.9.9', '19.9.9'],
      ['v16.20.2', '16.20.2'],
    ]) {
      const message = checkNodeVersion(v!);
      assert.ok(message, v);
      assert.ok(!message.includes('\n'), 'one line');
      assert.match(message, new RegExp(`>= ${MIN_NODE_VERSION.replaceAll('.', '\\.')}`));
      assert.ok(message.includes(`found ${shown}:`), message);
      assert.match(message, /README/);
    }
  });

  it('refuses a version it cannot read instead of guessing', () => {
    for (const v of ['', 'twenty', '20', '20.18', 'v20.x.1']) {
      const message = checkNodeVersion(v);
      assert.ok(message, JSON.stringify(v));
      assert.ok(!message.includes('\n'));
    }
  });

  it('this process passes (the tests themselves need the minimum)', () => {
    assert.equal(checkNodeVersion(process.versions.node), undefined);
  });

  it('MIN_NODE_VERSION is the engines.node floor of package.json (npm engine-strict enforces that one)', () => {
    const pkg = JSON.parse(
      readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as {
      engines: { node: string };
    };
    assert.equal(pkg.engines.node, `>=${MIN_NODE_VERSION}`);
  });
});
