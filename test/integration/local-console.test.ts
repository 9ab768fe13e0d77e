import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
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
      .getByText('only the requester or an approver')
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

  it('stop() leaves nothing behind: no lab namespaces, no redis-server of ours', async () => {
    await local.stop();
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.doesNotMatch(netns, new RegExp(LAB.labId));
    local = { url: local.url, stop: async () => undefined };
  });
});
