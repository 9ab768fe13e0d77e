import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { type LocalMode, startLocalMode } from '../../src/local/local-mode.js';
import { createLogger } from '../../src/log/create-logger.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAB = { labId: 'nclocalt', netIndex: 46 };

/** The local mode, driven the way a newcomer uses it: in a real (headless) browser. */
describe('local mode: the web console in headless Chromium', () => {
  let local: LocalMode;
  let browser: Browser;
  const said: string[] = [];

  before(async () => {
    local = await startLocalMode({
      env: {},
      port: 0,
      logger: createLogger('silent', {}),
      say: (line) => said.push(line),
      lab: LAB,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await local?.stop();
  });

  it('types /netcheck node-3, sees the root cause, approves as an approver, sees the fix verified and the audit lines', async () => {
    assert.match(said.join('\n'), /Redis: started redis-server/);
    assert.match(said.join('\n'), /fault injected: icmp-blocked on cp-1/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(local.url);
    await page.selectOption('#user', 'U0REQUESTER');
    await page.fill('#text', '/netcheck node-3');
    await page.click('#compose button');

    const thread = page.locator('#channel .thread');
    await thread.getByText('icmp-blocked', { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.locator('#channel button[data-action="netcheck_approve"]').waitFor({ timeout: 30_000 });

    // Someone who is neither requester nor approver is told why not, ephemerally, and nothing runs.
    await page.selectOption('#user', 'U0VISITOR');
    await page.click('#channel button[data-action="netcheck_approve"]');
    await page
      .locator('#ephemerals')
      // icmp-blocked is on cp-1: a change to the control plane needs an approver.
      .getByText('only someone listed in NETCHECK_APPROVERS')
      .waitFor({ timeout: 15_000 });

    await page.selectOption('#user', 'U0APPROVER');
    await page.click('#channel button[data-action="netcheck_approve"]');
    await thread.getByText('Fixed and verified').waitFor({ timeout: 60_000 });
    await page.locator('#channel').getByText('Approved by @bob (approver)').waitFor({ timeout: 15_000 });
    assert.equal(
      await page.locator('#channel button[data-action="netcheck_approve"]').count(),
      0,
      'the buttons are gone',
    );

    const audit = page.locator('#audit .audit');
    await page.locator('#audit').getByText('verification').waitFor({ timeout: 30_000 });
    const lines = await audit.allTextContents();
    for (const type of [
      'command.received',
      'diagnosis',
      'plan.proposed',
      'plan.refused',
      'plan.approved',
      'step.finished',
    ])
      assert.ok(
        lines.some((l) => l.includes(type)),
        `${type} in the audit channel:\n${lines.join('\n')}`,
      );

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/local-console.png', fullPage: true });
  });

  it('hostile node text (a rule comment with <!channel> and an <img onerror>) shows literally and creates no element; cross-origin posts are refused', async () => {
    const comment = '<!channel> "><img src=x onerror=alert(1)>';
    execFileSync('ip', [
      'netns',
      'exec',
      `${LAB.labId}-cp-1`,
      'iptables',
      '-I',
      'INPUT',
      '-p',
      'icmp',
      '-m',
      'comment',
      '--comment',
      comment,
      '-j',
      'DROP',
    ]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(local.url);
    await page.selectOption('#user', 'U0REQUESTER');
    await page.fill('#text', '/netcheck node-3');
    await page.click('#compose button');
    const thread = page.locator('#channel > .msg').last().locator('.thread');
    // iptables-save shows the comment's quote as \"; the markup around it must show literally.
    const shown = (where: typeof thread) => where.getByText('onerror=alert(1)>', { exact: false }).first();
    await thread.getByText('<!channel>', { exact: false }).first().waitFor({ timeout: 30_000 });
    await shown(thread).waitFor();
    await page.selectOption('#user', 'U0APPROVER');
    await page.click('#channel button[data-action="netcheck_approve"]');
    await thread
      .getByText(/Fixed and verified|Not fixed|Stopped after/)
      .first()
      .waitFor({ timeout: 60_000 });
    // The step-progress lines and the audit lines quote the rule too.
    await shown(thread.locator('.reply', { hasText: 'Step 2' })).waitFor();
    await shown(page.locator('#audit')).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was created');
    assert.equal(await page.locator('[onerror]').count(), 0, 'no onerror attribute anywhere');
    assert.deepEqual(dialogs, [], 'no script ran');
    await page.close();

    const port = new URL(local.url).port;
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/console/command', method: 'POST', headers },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ user: 'U0APPROVER', text: 'node-1' }));
      });
    const json = { 'content-type': 'application/json' };
    assert.equal(await post({ ...json, host: `localhost:${port}`, origin: 'http://evil.example' }), 403);
    assert.equal(await post({ ...json, host: `localhost:${port}` }), 403, 'no Origin at all');
    assert.equal(
      await post({ ...json, host: `evil.example:${port}`, origin: `http://evil.example:${port}` }),
      403,
      'a DNS-rebinding Host',
    );
    assert.equal(
      await post({
        'content-type': 'text/plain',
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
      }),
      403,
      'a simple (form-like) request',
    );
    assert.equal(await post({ ...json, host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200);
  });

  it('stop() leaves nothing behind: no lab namespaces, no redis-server of ours', async () => {
    await local.stop();
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(netns, new RegExp(LAB.labId));
    local = { url: local.url, stop: async () => undefined };
  });
});
