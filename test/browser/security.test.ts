import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebServer } from '../../src/http/server.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { launchChromium, logIn } from '../support/browser.js';
import { createHarness, type Harness } from '../support/harness.js';
import { Session, startHarnessWeb, webUsersConfig } from '../support/web.js';

let harness: Harness;
let web: WebServer;
let browser: Browser;

beforeAll(async () => {
  harness = await createHarness(await webUsersConfig());
  web = await startHarnessWeb(harness);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await web.close();
  await harness.close();
});

async function loggedIn(user: 'otto' | 'vera'): Promise<Page> {
  return logIn(await browser.newPage(), web.url, user);
}

describe('Bull Board in a browser', () => {
  it('still acts for an operator: its own requests pass the same-origin check', async () => {
    const page = await loggedIn('otto');
    const queue = harness.queueSet.queues.maintenance;
    const pauseUrl = `${web.url}/admin/queues/api/queues/${queue.name}/pause`;
    const pause = page.waitForResponse((response) => response.url() === pauseUrl);
    await page.goto(`${web.url}/admin/queues/queue/${queue.name}`);
    await page.locator('main button[aria-haspopup=menu]').click();
    await page.getByText('Pause', { exact: true }).click();
    const confirm = page.getByRole('button', { name: /^(confirm|yes|ok)$/i });
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    const response = await pause;
    expect(response.status()).toBe(200);
    // What Bull Board's UI sends, and what the same-origin check relies on.
    const headers = await response.request().allHeaders();
    expect({ origin: headers.origin, site: headers['sec-fetch-site'] }).toEqual({ origin: new URL(web.url).origin, site: 'same-origin' });
    await expect.poll(() => queue.isPaused(), { timeout: 10_000 }).toBe(true);
    await page.close();
  });

  it('refuses a form an attacker page on another port of this host submits with the operator cookie', async () => {
    const page = await loggedIn('otto');
    const queue = harness.queueSet.queues.maintenance;
    const attacker = await FakeHttpServer.start();
    const before = await queue.getJobCounts();
    try {
      const target = `${web.url}/admin/queues/api/queues/${queue.name}/add`;
      attacker.route('GET', '/', () => ({ headers: { 'content-type': 'text/html' }, raw: `<form method="post" action="${target}"><input name="name" value="evil"></form><script>document.forms[0].submit()</script>` }));
      const answer = page.waitForResponse((response) => response.url() === target);
      await page.goto(attacker.url);
      expect((await answer).status()).toBe(403);
      expect(await queue.getJobCounts()).toEqual(before);
    } finally {
      await attacker.close();
      await page.close();
    }
  });
});

describe('logout in a browser', () => {
  it('logs out from a page and the old session cookie opens nothing', async () => {
    const page = await loggedIn('vera');
    await page.goto(`${web.url}/totals`);
    const cookie = (await page.context().cookies()).find((candidate) => candidate.name === 'jt_session')?.value ?? '';
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${web.url}/runs`);
    expect(new URL(page.url()).pathname).toBe('/login');
    const replay = new Session(web.url);
    replay.cookies.set('jt_session', cookie);
    expect((await replay.request('/runs')).status).toBe(303);
    await page.close();
  });
});
