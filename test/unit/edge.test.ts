import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry } from '../../src/audit/audit-event.js';
import { auditLine } from '../../src/audit/audit-line.js';
import { isMirrored } from '../../src/audit/mirror-filter.js';
import { parseEnv } from '../../src/config/load-config.js';
import { escapeKeepingMentions } from '../../src/core/mrkdwn-escape.js';
import { consoleRequestProblem } from '../../src/local/console-guard.js';
import { approvalRule, mayDecide, touchesControlPlane } from '../../src/remediation/authorize.js';
import type { Plan } from '../../src/remediation/plan.js';
import { AccessPolicy } from '../../src/slack/access-policy.js';
import { escapeOutboxText } from '../../src/slack/blocks/outbox-text.js';
import { isRedisUnavailable } from '../../src/slack/redis-unavailable.js';
import { UserGroups } from '../../src/slack/user-groups.js';

const HOSTILE = '<!channel> "><img src=x onerror=alert(1)> <https://evil.example|x> <!subteam^S1>';
const silent = { warn: () => undefined };

describe('hostile text for Slack', () => {
  it('escapes everything but netcheck’s own user mentions and channel references', () => {
    const out = escapeKeepingMentions(`Approved by <@U0APP> in <#C0INC>: ${HOSTILE} & more`);
    assert.match(out, /^Approved by <@U0APP> in <#C0INC>: /);
    assert.doesNotMatch(out, /<!|<img|<https/);
    assert.match(out, /&lt;!channel&gt; "&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(out, /&amp; more$/);
  });

  it('outbox texts of every kind that carries node data are escaped; reports are left to their renderer', () => {
    const progress = escapeOutboxText({ kind: 'progress', runId: 'r', seq: '1', text: `Step 2: ${HOSTILE}` });
    assert.doesNotMatch(JSON.stringify(progress), /<!channel>|<img/);
    const notice = escapeOutboxText({ kind: 'notice', runId: 'r', text: HOSTILE });
    assert.doesNotMatch(JSON.stringify(notice), /<!channel>/);
    const parent = { kind: 'parent', runId: 'r', channel: 'C1', node: 'n', requestedBy: 'U1' } as const;
    assert.equal(escapeOutboxText(parent), parent);
  });

  it('audit lines escape summaries and keep the thread link and mentions', () => {
    const entry = {
      seq: 7,
      at: '2026-11-25T03:10:04.123Z',
      type: 'step.started',
      actor: 'netcheck',
      node: 'cp-1',
      summary: `step 2: delete the offending rule -A INPUT -m comment --comment "${HOSTILE}" for <@U0REQ>`,
      id: '1-0',
      prev: '',
      hash: '',
    } as AuditEntry;
    const line = auditLine(entry, 'https://lab.slack.invalid/archives/C1/p1');
    assert.match(line, /^#7 03:10:04Z `step.started` by netcheck on cp-1: /);
    assert.doesNotMatch(line, /<!channel>|<img|<https:\/\/evil/);
    assert.match(line, /for <@U0REQ> · <https:\/\/lab\.slack\.invalid\/archives\/C1\/p1\|thread>$/);
    assert.match(auditLine({ ...entry, actor: '<!here>' }, undefined), /by &lt;!here&gt;/);
  });

  it('access refusals are logged but not mirrored', () => {
    assert.equal(isMirrored({ type: 'access.refused' }), false);
    assert.equal(isMirrored({ type: 'command.received' }), true);
    assert.equal(isMirrored({ type: 'plan.refused' }), true);
  });
});

describe('the local console refuses what is not its own page', () => {
  const req = (headers: Record<string, string>, method = 'POST') => ({ method, headers });
  const own = { host: 'localhost:8080', origin: 'http://localhost:8080', 'content-type': 'application/json' };
  it('same Host, same Origin, JSON: allowed; anything else: refused', () => {
    assert.equal(consoleRequestProblem(req(own), 8080), undefined);
    assert.equal(consoleRequestProblem(req({ host: '127.0.0.1:8080' }, 'GET'), 8080), undefined);
    assert.match(
      String(consoleRequestProblem(req({ ...own, origin: 'http://evil.example' }), 8080)),
      /cross-origin/,
    );
    assert.match(String(consoleRequestProblem(req({ ...own, origin: '' }), 8080)), /cross-origin/);
    assert.match(String(consoleRequestProblem(req({ ...own, host: 'evil.example:8080' }), 8080)), /Host/);
    assert.match(String(consoleRequestProblem(req({ host: 'evil.example' }, 'GET'), 8080)), /Host/);
    assert.match(String(consoleRequestProblem(req({ ...own, 'content-type': 'text/plain' }), 8080)), /JSON/);
  });
});

describe('who may act where', () => {
  const groups = (members: Record<string, string[]>, calls: string[] = []) =>
    new UserGroups(async (g) => {
      calls.push(g);
      if (!members[g]) throw new Error('no_such_subteam');
      return members[g];
    }, silent);

  it('channels, users and approvers, with user groups resolved and cached', async () => {
    const calls: string[] = [];
    const policy = new AccessPolicy({
      channels: ['C0INC'],
      users: ['U0A', 'S0ONCALL'],
      approvers: ['U0BOSS', 'S0APP', 'S0GONE'],
      groups: groups({ S0ONCALL: ['U0B'], S0APP: ['U0C'] }, calls),
    });
    assert.equal(policy.channel('C0INC').ok, true);
    assert.match(String((policy.channel('C0OTHER') as { why: string }).why), /NETCHECK_CHANNELS/);
    assert.equal((await policy.mayRun('U0A')).ok, true);
    assert.equal((await policy.mayRun('U0B')).ok, true);
    assert.match(String(((await policy.mayRun('U0Z')) as { why: string }).why), /NETCHECK_USERS/);
    assert.equal(await policy.isApprover('U0BOSS'), true);
    assert.equal(await policy.isApprover('U0C'), true);
    assert.equal(await policy.isApprover('U0B'), false);
    assert.equal(await policy.isApprover('U0C'), true);
    assert.equal(calls.filter((c) => c === 'S0APP').length, 1, 'cached');
    assert.deepEqual(policy.groupIds.sort(), ['S0APP', 'S0GONE', 'S0ONCALL']);
  });

  it('unset lists mean every channel and everyone', async () => {
    const policy = new AccessPolicy({
      channels: undefined,
      users: undefined,
      approvers: [],
      groups: groups({}),
    });
    assert.equal(policy.restrictsChannels, false);
    assert.equal(policy.channel('CANY').ok, true);
    assert.equal((await policy.mayRun('UANY')).ok, true);
  });

  it('a plan that changes a control-plane node needs an approver who is not the requester, even a safe one', () => {
    const cp = new Set(['cp-1']);
    const step = {
      n: 1,
      kind: 'shell',
      node: 'cp-1',
      title: 't',
      destructive: false,
      timeoutMs: 1,
      command: '',
      check: '',
    };
    const onCp = {
      requestedBy: 'U0REQ',
      destructive: false,
      node: 'cp-1',
      steps: [step],
      remedy: { kind: 'delete-iptables-rules' },
    } as unknown as Plan;
    const onWorker = { ...onCp, node: 'node-3', steps: [{ ...step, node: 'node-3' }] } as unknown as Plan;
    const join = {
      ...onWorker,
      steps: [
        {
          n: 1,
          kind: 'join',
          node: 'node-3',
          joinFrom: 'cp-1',
          title: 't',
          destructive: true,
          timeoutMs: 1,
          check: '',
        },
      ],
    } as unknown as Plan;
    assert.equal(touchesControlPlane(onCp, cp), true);
    assert.equal(touchesControlPlane(onWorker, cp), false);
    assert.equal(touchesControlPlane(join, cp), true);
    assert.match(
      String((mayDecide(onCp, 'U0REQ', true, 'approve', cp) as { why: string }).why),
      /control plane.*not the requester/,
    );
    assert.match(
      String((mayDecide(onCp, 'U0X', false, 'approve', cp) as { why: string }).why),
      /NETCHECK_APPROVERS/,
    );
    assert.equal(mayDecide(onCp, 'U0APP', true, 'approve', cp).ok, true);
    assert.equal(mayDecide(onCp, 'U0REQ', false, 'reject', cp).ok, true);
    assert.equal(mayDecide(onWorker, 'U0REQ', false, 'approve', cp).ok, true);
    assert.match(approvalRule(onCp, cp), /control plane/);
  });
});

describe('NETCHECK_RATE_LIMIT and Redis errors', () => {
  it('parses count/window and refuses anything else, naming the variable', () => {
    assert.deepEqual(parseEnv({}).NETCHECK_RATE_LIMIT, { count: 5, windowMs: 60_000 });
    assert.deepEqual(parseEnv({ NETCHECK_RATE_LIMIT: '20/1h' }).NETCHECK_RATE_LIMIT, {
      count: 20,
      windowMs: 3_600_000,
    });
    assert.deepEqual(parseEnv({ NETCHECK_RATE_LIMIT: '3/30s' }).NETCHECK_RATE_LIMIT, {
      count: 3,
      windowMs: 30_000,
    });
    for (const bad of ['5', '0/1m', '5/0m', 'five/1m', '5/1d'])
      assert.throws(
        () => parseEnv({ NETCHECK_RATE_LIMIT: bad }),
        /NETCHECK_RATE_LIMIT=.*expected commands per user per window/,
      );
  });

  it('tells a Redis outage from other errors', () => {
    assert.equal(isRedisUnavailable(new Error('Command timed out')), true);
    assert.equal(
      isRedisUnavailable(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
      true,
    );
    assert.equal(isRedisUnavailable(Object.assign(new Error('x: no answer'), { code: 'deadline' })), true);
    assert.equal(isRedisUnavailable(new Error('plan signature invalid')), false);
  });
});
