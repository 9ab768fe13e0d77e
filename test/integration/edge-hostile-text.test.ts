import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { labExec } from '../../src/lab/lab.js';
import { type Harness, SIGNING_SECRET, startHarness } from '../support/netcheck-harness.js';
import { postButtonClick } from '../support/slack-signing.js';

const LAB = { labId: 'nchost', netIndex: 82 };
const AUDIT_CHANNEL = 'C0AUDIT';
/** Planted in a firewall rule's comment on a node: it reaches the evidence, the plan, the steps and the audit log. */
export const HOSTILE = '<!channel> "><img src=x onerror=alert(1)> <https://evil.example|click>';

/** Text read from a node reaches Slack inert: escaped wherever it is shown. */
describe('hostile node text in Slack', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ ...LAB, env: { NETCHECK_AUDIT_CHANNEL: AUDIT_CHANNEL } });
  });
  after(async () => {
    await h?.close();
  });

  it('a rule comment with <!channel>, markup and a link is escaped in the report, the steps, the progress messages and the audit lines', async () => {
    await labExec(h.lab, 'cp-1', [
      'iptables',
      '-I',
      'INPUT',
      '-p',
      'icmp',
      '-m',
      'comment',
      '--comment',
      HOSTILE,
      '-j',
      'DROP',
    ]);
    const { parent, report } = await h.check('node-3', { user: 'U0ONCALL', timeoutMs: 30_000 });
    const actions = report.blocks.find((b) => (b as { type?: string }).type === 'actions') as {
      elements: { action_id: string; value: string }[];
    };
    const planId = actions.elements.find((e) => e.action_id === 'netcheck_approve')!.value;
    await postButtonClick(h.appUrl, SIGNING_SECRET, {
      actionId: 'netcheck_approve',
      value: planId,
      user: 'U0APPROVER',
      channel: 'C0INCIDENT',
      messageTs: report.ts,
    });
    // How the fix ends does not matter here (deleting a rule whose comment holds quotes is the
    // remediation's business); what its steps said on the way does.
    await h.slack.waitFor(
      () => h.slack.replies(parent.ts).find((m) => /Fixed and verified|Not fixed|Stopped after/.test(m.text)),
      60_000,
      'the end of the fix',
    );
    await h.slack.waitFor(
      () => h.slack.topLevel(AUDIT_CHANNEL).find((m) => m.text.includes('`step.finished`')),
      60_000,
      'the audit lines',
    );
    const sent = h.slack.calls
      .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
      .map((c) => `${String(c.params.text ?? '')}\n${JSON.stringify(c.params.blocks ?? '')}`);
    const everything = sent.join('\n');
    // The comment did reach Slack (evidence, step titles, progress, audit)…
    const shown = sent.filter((t) => t.includes('&lt;!channel&gt;'));
    assert.ok(shown.length >= 3, `the comment is shown, escaped, in several messages:\n${everything}`);
    assert.ok(
      h.slack.replies(parent.ts).some((m) => m.text.includes('Step') && m.text.includes('&lt;!channel&gt;')),
      'a step-progress message quotes the rule, escaped',
    );
    assert.ok(
      h.slack.topLevel(AUDIT_CHANNEL).some((m) => m.text.includes('&lt;!channel&gt;')),
      'an audit line quotes the rule, escaped',
    );
    // …but never as markup Slack would act on.
    assert.doesNotMatch(everything, /<!channel>/);
    assert.doesNotMatch(everything, /<img/);
    assert.doesNotMatch(everything, /<https:\/\/evil\.example/);
    // netcheck's own mentions still work.
    assert.match(everything, /<@U0APPROVER>/);
  });
});
