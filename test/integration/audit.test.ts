import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { labExec } from '../../src/lab/lab.js';
import { runAuditCli } from '../../src/roles/audit-cli.js';
import { AUDIT_STREAM, AuditStore } from '../../src/store/audit-store.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const AUDIT_CHANNEL = 'C0AUDIT';
// Real-looking secrets, planted in an iptables rule comment: they reach the evidence, the plan's
// commands, the step output and the logs unless redaction stops them.
const JOIN_TOKEN = 'k8s9xq.7f3kz0b2m4n6p8r1';
const BEARER = 'eyJhbGciOiJSUzI1NiIsImtpZCI6Im5ldGNoZWNrIn0';
const PASSWORD = 'Tr0ub4dor3xyz';
const COMMENT = `token ${JOIN_TOKEN} Bearer ${BEARER} password=${PASSWORD}`;

describe('audit trail (lab, real Redis, signed Slack requests)', () => {
  let h: Harness;
  let redis: Redis;
  let store: AuditStore;

  before(async () => {
    h = await startHarness({
      labId: 'ncaudit',
      netIndex: 45,
      env: { NETCHECK_AUDIT_CHANNEL: AUDIT_CHANNEL },
    });
    redis = new Redis(h.redis.url);
    store = new AuditStore(redis, redis, () => new Date().toISOString());
  });
  after(async () => {
    redis?.disconnect();
    await h?.close();
  });

  const cli = async (...args: string[]) => {
    let out = '';
    const code = await runAuditCli(args, { REDIS_URL: h.redis.url }, (s) => {
      out += s;
    });
    return { code, out };
  };
  const auditLines = () => h.slack.topLevel(AUDIT_CHANNEL);
  const seqOf = (m: FakeMessage) => Number(/^#(\d+) /.exec(m.text)?.[1]);
  /** Waits until the incident channel has caught up with the log, then checks once-and-in-order. */
  const mirrorCaughtUp = async () => {
    const head = (await store.head())?.seq ?? 0;
    await h.slack.waitFor(
      () => (auditLines().length >= head ? true : undefined),
      60_000,
      `audit channel to reach #${head}`,
    );
    assert.deepEqual(
      auditLines().map(seqOf),
      Array.from({ length: head }, (_, i) => i + 1),
      'every entry exactly once, in order',
    );
  };

  it('a full run (diagnose, approve, remediate) leaves the expected entries in order, mirrored with a link to the thread; no secret anywhere', async () => {
    await labExec(h.lab, 'cp-1', [
      'iptables',
      '-I',
      'INPUT',
      '-p',
      'icmp',
      '-m',
      'comment',
      '--comment',
      COMMENT,
      '-j',
      'DROP',
    ]);
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL' });
    const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
      elements: { action_id: string; value: string }[];
    };
    const planId = actions.elements.find((e) => e.action_id === 'netcheck_approve')!.value;
    const click = await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planId,
      // The rule is on cp-1: a change to the control plane needs an approver, not the requester alone.
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    assert.equal(click.status, 200);
    await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => m.text.includes('Fixed and verified')),
      60_000,
      'the verified fix',
    );
    // The executor audits the verification before it posts the verdict.
    const entries = await store.readAll();
    const types = entries.map((e) => e.type).filter((t, i, all) => t !== 'probe.batch' || all[i - 1] !== t);
    assert.deepEqual(types, [
      'command.received',
      'run.started',
      'probe.batch',
      'diagnosis',
      'plan.proposed',
      'plan.approved',
      'step.started',
      'step.finished',
      'step.started',
      'step.finished',
      'verification',
    ]);
    const byType = (t: string) => entries.find((e) => e.type === t)!;
    assert.equal(byType('command.received').actor, 'U0ONCALL');
    assert.equal(byType('plan.approved').actor, 'U0APPROVER');
    assert.equal(byType('plan.proposed').data?.hash, byType('plan.approved').data?.hash);
    assert.match(
      JSON.stringify(byType('diagnosis').data),
      /"id":"icmp-blocked".*"evidenceDigest":"sha256:[0-9a-f]{16}"/,
    );
    const finished = entries.filter((e) => e.type === 'step.finished');
    for (const f of finished) {
      assert.equal(f.data?.exitCode, 0);
      assert.match(String(f.data?.outputDigest), /^sha256:/);
      assert.ok(Date.parse(String(f.data?.endedAt)) >= Date.parse(String(f.data?.startedAt)));
    }
    // Deleted with the binary of the rule's backend (the lab's nodes are iptables-nft).
    assert.match(String(finished[1]?.data?.command), /^iptables-nft -t filter -D INPUT /);

    assert.deepEqual(await cli('verify'), {
      code: 0,
      out: `audit log ok: ${entries.length} entries, chain intact, head ${entries.at(-1)!.hash.slice(0, 16)}\n`,
    });
    await mirrorCaughtUp();
    assert.match(
      auditLines()[0]!.text,
      /^#1 \S+ `command.received` by <@U0ONCALL> on node-3: .*<https:\/\/lab\.slack\.invalid\/archives\/C0INCIDENT\/p\d+\|thread>/,
    );

    // The secrets were really there (the rule is gone now, its comment was in the evidence) and went nowhere.
    const everywhere = [
      JSON.stringify(h.slack.calls),
      JSON.stringify(await redis.xrange(AUDIT_STREAM, '-', '+')),
      h.logLines.join(''),
    ].join('\n');
    assert.match(everywhere, /\[redacted token\]/);
    for (const secret of [JOIN_TOKEN, BEARER, PASSWORD])
      assert.ok(!everywhere.includes(secret), `${secret} leaked`);
  });

  it('Slack failing (500) for the audit channel, and an app restart in the middle: every entry arrives once, in order', async () => {
    await mirrorCaughtUp();
    const before = (await store.head())!.seq;
    // "applied": Slack posts the line and still answers 500, the worst case for duplicates.
    h.slack.downChannels.set(AUDIT_CHANNEL, { applied: true });
    await h.check('node-1');
    await h.slack.waitFor(
      () =>
        h.slack
          .callsOf('chat.postMessage')
          .filter((c) => c.params.channel === AUDIT_CHANNEL && c.outcome.startsWith('applied-then-http-500'))
          .length >= 2
          ? true
          : undefined,
      30_000,
      'retries against the failing audit channel',
    );
    await h.restartApp();
    h.slack.downChannels.set(AUDIT_CHANNEL, { applied: false });
    await h.check('node-2');
    h.slack.clearFailures();
    await mirrorCaughtUp();
    assert.ok((await store.head())!.seq > before + 4, 'both runs were audited');
  });

  it('verify names the first entry that was changed, removed or reordered', async () => {
    const original = await redis.xrange(AUDIT_STREAM, '-', '+');
    const rewrite = async (rows: [string, string[]][]) => {
      await redis.del(AUDIT_STREAM);
      for (const [id, fields] of rows) await redis.xadd(AUDIT_STREAM, id, ...fields);
    };
    const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1];

    const altered = original.map(([id, f]): [string, string[]] =>
      field(f, 'seq') === '5' ? [id, f.map((v, i) => (f[i - 1] === 'actor' ? 'U0SOMEONEELSE' : v))] : [id, f],
    );
    await rewrite(altered);
    const changed = await cli('verify');
    assert.equal(changed.code, 1);
    assert.match(changed.out, /entry #5 \(\d+-\d+\) was changed/);

    await rewrite(original);
    assert.equal((await cli('verify')).code, 0, 'the untouched log verifies again');
    await redis.xdel(AUDIT_STREAM, original[3]![0]);
    const removed = await cli('verify');
    assert.equal(removed.code, 1);
    assert.match(removed.out, /entry #4 is missing \(removed\) before entry #5/);

    const swapped = original.map(([id], i): [string, string[]] => [
      id,
      original[i === 2 ? 3 : i === 3 ? 2 : i]![1],
    ]);
    await rewrite(swapped);
    const reordered = await cli('verify');
    assert.equal(reordered.code, 1);
    assert.match(reordered.out, /entry #4 \(\d+-\d+\) is out of order: it stands where entry #3 belongs/);

    await rewrite(original.slice(0, -1));
    assert.match(
      (await cli('verify')).out,
      /onwards was removed/,
      'a removed last entry is caught by the head',
    );
    await rewrite(original);

    const csv = await cli('export', '--format', 'csv', '--node', 'node-1');
    assert.equal(csv.code, 0);
    assert.match(csv.out, /^seq,at,type,actor,runId,planId,node,summary,data,prev,hash,id\r\n/);
    assert.ok(
      csv.out
        .trim()
        .split('\r\n')
        .slice(1)
        .every((l) => l.includes(',node-1,')),
    );
    const jsonl = await cli('export', '--since', '2000-01-01T00:00:00Z');
    assert.equal(jsonl.out.trim().split('\n').length, original.length);
    assert.equal((JSON.parse(jsonl.out.split('\n')[0]!) as AuditEntry).seq, 1);
    assert.equal((await cli('export', '--since', 'yesterday')).code, 2, 'a bad time is refused');
  });
});
