import { createHmac } from 'node:crypto';

export interface PinnedKey {
  readonly type: string;
  readonly key: Buffer;
}

interface Entry {
  readonly line: number;
  readonly marker: 'revoked' | undefined;
  readonly patterns: readonly string[];
  readonly hashed: { readonly salt: Buffer; readonly hash: Buffer } | undefined;
  readonly key: PinnedKey;
}

export class KnownHostsError extends Error {
  readonly code = 'known-hosts-invalid';
}

/** The `known_hosts` name of a host: `host` on port 22, `[host]:port` otherwise (as OpenSSH writes it). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/**
 * Pinned host keys in OpenSSH `known_hosts` format: plain and comma-separated names, `[host]:port`,
 * hashed names (`|1|salt|hash`), `*`/`?` wildcards and `!` negation, `@revoked` keys.
 * `@cert-authority` lines are not supported and are rejected, so nothing is silently trusted.
 */
export class KnownHosts {
  constructor(private readonly entries: readonly Entry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** Keys pinned for this endpoint and keys revoked for it. */
  lookup(host: string, port: number): { pinned: PinnedKey[]; revoked: PinnedKey[] } {
    const name = knownHostsName(host, port);
    const pinned: PinnedKey[] = [];
    const revoked: PinnedKey[] = [];
    for (const entry of this.entries) {
      if (!matches(entry, name)) continue;
      (entry.marker === 'revoked' ? revoked : pinned).push(entry.key);
    }
    return { pinned, revoked };
  }
}

function matches(entry: Entry, name: string): boolean {
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return digest.equals(entry.hashed.hash);
  }
  let positive = false;
  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith('!');
    const re = globToRegExp(negated ? pattern.slice(1) : pattern);
    if (re.test(name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

const KEY_TYPES =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

export function parseKnownHosts(text: string, source = 'known_hosts'): KnownHosts {
  const entries: Entry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: Entry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else {
        problems.push(
          `${source}:${lineNo}: marker ${m} is not supported (only @revoked); remove the line or pin the host key itself`,
        );
        return;
      }
    }
    const [hosts, type, blob] = fields;
    if (!hosts || !type || !blob) {
      problems.push(`${source}:${lineNo}: expected "<hosts> <key type> <base64 key>"`);
      return;
    }
    if (!KEY_TYPES.test(type)) {
      problems.push(`${source}:${lineNo}: unknown key type "${type}"`);
      return;
    }
    const key = Buffer.from(blob, 'base64');
    // The blob starts with its own type name; a mismatch means a corrupted or hand-edited line.
    const innerLength = key.length >= 4 ? key.readUInt32BE(0) : -1;
    if (innerLength <= 0 || key.subarray(4, 4 + innerLength).toString('latin1') !== type) {
      problems.push(`${source}:${lineNo}: the key is not a valid ${type} key`);
      return;
    }
    let hashed: Entry['hashed'];
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) {
        problems.push(`${source}:${lineNo}: malformed hashed host name`);
        return;
      }
      hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    }
    entries.push({
      line: lineNo,
      marker,
      patterns: hashed ? [] : hosts.split(','),
      hashed,
      key: { type, key },
    });
  });
  if (problems.length > 0)
    throw new KnownHostsError(
      `${source} is invalid; nothing was trusted:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  return new KnownHosts(entries);
}
