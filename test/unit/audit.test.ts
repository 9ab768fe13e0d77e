import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryHash, GENESIS, verifyChain } from '../../src/audit/audit-chain.js';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { filterEntries, toCsv } from '../../src/audit/audit-export.js';
import { redactDeep, redactSecrets } from '../../src/audit/redact.js';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prev = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      seq,
      at: `2026-11-24T03:00:0${seq}.000Z`,
      type: 'probe.batch' as const,
      actor: 'netcheck',
      runId: 'run-1',
      node: seq % 2 ? 'node-1' : 'node-2',
      summary: `entry ${seq}, "quoted", with a comma`,
      data: { seq },
      prev,
    };
    const hash = entryHash(body);
    out.push({ ...body, planId: undefined, hash, id: `1-${seq}` });
    prev = hash;
  }
  return out;
}

describe('redaction', () => {
  it('removes join tokens, discovery hashes, certificate keys, private keys, bearer and Slack tokens, passwords', () => {
    const text = [
      'kubeadm join 198.18.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:' +
        'a'.repeat(64),
      `kubeadm init phase upload-certs --certificate-key ${'0f'.repeat(32)}`,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
      'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig',
      'SLACK_BOT_TOKEN=xoxb-1234-5678-abcdefgh and xapp-1-A0-123-abc',
      'password: hunter2hunter2, "secret"="s3cr3t"',
      'cannot connect to redis://:r3d1s-pw@10.0.0.5:6379',
    ].join('\n');
    const out = redactSecrets(text);
    for (const leaked of [
      'abcdef.0123456789abcdef',
      'a'.repeat(64),
      '0f'.repeat(32),
      'b3BlbnNzaC1rZXktdjEAAAAA',
      'eyJhbGciOiJSUzI1NiJ9',
      'xoxb-1234',
      'xapp-1-A0',
      'hunter2hunter2',
      's3cr3t',
      'r3d1s-pw',
    ])
      assert.ok(!out.includes(leaked), `${leaked} leaked:\n${out}`);
    assert.match(
      out,
      /kubeadm join 198\.18\.0\.10:6443 --token \[redacted token\]/,
      'the rest stays readable',
    );
  });

  it('redacts inside objects and drops values of secret-named keys', () => {
    assert.deepEqual(redactDeep({ a: ['x --token abcdef.0123456789abcdef'], privateKey: 'anything', n: 3 }), {
      a: ['x --token [redacted token]'],
      privateKey: '[redacted]',
      n: 3,
    });
  });

  it('leaves ordinary evidence alone', () => {
    const line = '-A INPUT -p udp -m udp --dport 8472 -j DROP; 10-flannel.conflist; sha256:abc';
    assert.equal(redactSecrets(line), line);
  });
});

describe('hash chain', () => {
  it('an intact chain verifies; a changed, removed or swapped entry is named', () => {
    const entries = chain(5);
    const head = { seq: 5, hash: entries[4]!.hash };
    assert.equal(verifyChain(entries, head).ok, true);

    const changed = entries.map((e) => (e.seq === 3 ? { ...e, summary: 'nothing to see' } : e));
    assert.deepEqual(pick(verifyChain(changed, head)), { ok: false, seq: 3 });

    const removed = entries.filter((e) => e.seq !== 2);
    const r = verifyChain(removed, head);
    assert.ok(!r.ok && /entry #2 is missing/.test(r.problem));

    const swapped = [entries[0]!, entries[2]!, entries[1]!, entries[3]!, entries[4]!];
    const s = verifyChain(swapped, head);
    assert.ok(!s.ok && /#3 .* is out of order/.test(s.problem), JSON.stringify(s));

    const truncated = verifyChain(entries.slice(0, 4), head);
    assert.ok(!truncated.ok && /#5 onwards was removed/.test(truncated.problem));
  });
});

describe('export', () => {
  it('filters by time and node; CSV quotes what needs quoting', () => {
    const entries = chain(4);
    assert.deepEqual(
      filterEntries(entries, { since: '2026-11-24T03:00:02Z', until: '2026-11-24T03:00:04Z' }).map(
        (e) => e.seq,
      ),
      [2, 3],
    );
    assert.deepEqual(
      filterEntries(entries, { node: 'node-2' }).map((e) => e.seq),
      [2, 4],
    );
    const csv = toCsv(entries.slice(0, 1)).split('\r\n');
    assert.match(
      csv[1]!,
      /^1,2026-11-24T03:00:01\.000Z,probe\.batch,netcheck,run-1,,node-1,"entry 1, ""quoted"", with a comma","\{""seq"":1\}",/,
    );
  });
});

function pick(v: ReturnType<typeof verifyChain>) {
  return v.ok ? { ok: true } : { ok: false, seq: v.seq };
}
