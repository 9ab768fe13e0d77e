import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseKnownHosts } from '../../src/ssh/known-hosts.js';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const ED2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIHBl5VQnzhP0SmsOvXnSGl0UJ4+xjFVH9J2D6K5kIBkh';

describe('known_hosts', () => {
  it('plain, comma lists and [host]:port', () => {
    const kh = parseKnownHosts(
      `# comment\n198.18.0.10,cp-1 ssh-ed25519 ${ED}\n[198.18.0.13]:2222 ssh-ed25519 ${ED2}\n`,
    );
    assert.equal(kh.lookup('cp-1', 22).pinned.length, 1);
    assert.equal(kh.lookup('198.18.0.10', 22).pinned[0]?.type, 'ssh-ed25519');
    assert.equal(kh.lookup('198.18.0.13', 2222).pinned.length, 1);
    assert.equal(kh.lookup('198.18.0.13', 22).pinned.length, 0, 'port 22 does not match a [host]:2222 entry');
  });

  it('hashed names', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('198.18.0.11').digest();
    const kh = parseKnownHosts(
      `|1|${salt.toString('base64')}|${hash.toString('base64')} ssh-ed25519 ${ED}\n`,
    );
    assert.equal(kh.lookup('198.18.0.11', 22).pinned.length, 1);
    assert.equal(kh.lookup('198.18.0.12', 22).pinned.length, 0);
  });

  it('wildcards and negation', () => {
    const kh = parseKnownHosts(`198.18.0.*,!198.18.0.99 ssh-ed25519 ${ED}\n`);
    assert.equal(kh.lookup('198.18.0.5', 22).pinned.length, 1);
    assert.equal(kh.lookup('198.18.0.99', 22).pinned.length, 0);
  });

  it('@revoked keys are reported separately', () => {
    const kh = parseKnownHosts(`@revoked * ssh-ed25519 ${ED}\n198.18.0.10 ssh-ed25519 ${ED}\n`);
    assert.equal(kh.lookup('198.18.0.10', 22).revoked.length, 1);
  });

  it('a malformed file is refused with line numbers, never partly trusted', () => {
    assert.throws(
      () =>
        parseKnownHosts(
          `198.18.0.10 ssh-ed25519 ${ED}\nbroken-line\n@cert-authority * ssh-ed25519 ${ED}\n198.18.0.11 ssh-ed25519 AAAAB3NzaC1yc2E=\n`,
        ),
      (e: Error) => {
        assert.match(e.message, /:2: expected/);
        assert.match(e.message, /:3: marker @cert-authority is not supported/);
        assert.match(e.message, /:4: the key is not a valid ssh-ed25519 key/);
        return true;
      },
    );
  });
});
