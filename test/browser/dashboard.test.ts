import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import type { WebServer } from '../../src/http/server.js';
import { launchChromium, logIn } from '../support/browser.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { startHarnessWeb, webUsersConfig } from '../support/web.js';

let harness: Harness;
let web: WebServer;
let browser: Browser;
const spa = scriptedSource('SPA', [21_000]);
const upctm = scriptedSource('UPCTM', [27_000]);
const consoleErrors: string[] = [];
const SCREENSHOTS = path.join('test-artifacts', 'screenshots');

/** Full-page screenshots of each page, kept as test artifacts to look at. */
async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  harness = await createHarness(await webUsersConfig());
  harness.startWorkers([spa, upctm]);
  web = await startHarnessWeb(harness);
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const client of ['acme', 'acme', 'globex']) {
    const run = await harness.producer.enqueueRun({ trigger: 'manual', parameters: { client } });
    await waitForRunFinished(harness.runs, run.name, { timeoutMs: 15_000, intervalMs: 20 });
  }
});
afterAll(async () => {
  await browser.close();
  await web.close();
  await harness.close();
});

async function loggedIn(user: 'otto' | 'vera'): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (message) => {
    // A 422 is the form answering with field errors, which is the point of that test.
    if (message.type() === 'error' && !message.text().includes('status of 422')) consoleErrors.push(message.text());
  });
  return logIn(page, web.url, user);
}

describe('runs dashboard in a browser', () => {
  it('filters and sorts through the URL, and the back button restores the list', async () => {
    const page = await loggedIn('vera');
    expect(await page.locator('#runs tbody tr').count()).toBe(3);
    await page.fill('input[name=client]', 'acme');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/client=acme/);
    expect(await page.locator('#runs tbody tr').count()).toBe(2);
    await page.click('#runs thead a:has-text("Run")');
    await page.waitForURL(/sort=name/);
    expect(new URL(page.url()).searchParams.get('client')).toBe('acme');
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('sort') !== 'name');
    expect(await page.locator('#runs tbody tr').count()).toBe(2);
    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.has('client'));
    expect(await page.locator('#runs tbody tr').count()).toBe(3);
    await snap(page, 'runs');
    await page.click('.counts a:has-text("success")');
    await page.waitForURL(/status=success/);
    expect(await page.locator('#runs tbody tr').count()).toBe(3);
    await page.click('.counts a:has-text("error")');
    await page.waitForURL(/status=error/);
    expect(await page.textContent('#runs tbody')).toContain('No runs match these filters.');
    await snap(page, 'runs-empty');
    await page.close();
  });

  it('shows a run with counts, total against the limit, its log and queue links', async () => {
    const page = await loggedIn('vera');
    await page.click('#runs tbody tr:first-child td:first-child a');
    await page.waitForURL(/\/runs\/\d{14}/);
    expect(await page.locator('#counts tbody tr').count()).toBe(2);
    expect(await page.textContent('#total')).toMatch(/Total 48,000 of limit 48,500/);
    expect(await page.locator('#log tr').count()).toBeGreaterThan(3);
    expect(await page.getAttribute('#jobs a >> nth=0', 'href')).toMatch(/^\/admin\/queues\/queue\/aggregate\/run-\d{14}/);
    expect(await page.locator('#retry').count()).toBe(0);
    await snap(page, 'run-detail');
    await page.close();
  });

  it('starts a run from the form, showing field errors next to fields first', async () => {
    const page = await loggedIn('otto');
    await page.click('nav a:has-text("New run")');
    await page.fill('input[name=client]', 'not valid!');
    await page.click('#new-run button[type=submit]');
    expect(await page.textContent('#error-client')).toMatch(/use letters/);
    await snap(page, 'new-run-error');
    await page.fill('input[name=client]', 'initech');
    await page.check('input[name=sources][value=SPA]');
    await page.click('#new-run button[type=submit]');
    await page.waitForURL(/\/runs\/\d{14}/);
    // The page refreshes its live part until the run is done.
    await page.locator('#total', { hasText: '21,000' }).waitFor({ timeout: 15_000 });
    await page.goto(`${web.url}/audit`);
    expect(await page.textContent('#audit tbody tr:first-child')).toMatch(/otto.*operator.*run\.start/s);
    await snap(page, 'audit');
    await page.close();
  });

  it('retries a failed run from its page and follows the new run', async () => {
    spa.script([new SourceUnavailableError('SPA', 'HTTP 503 from GET /usage/jobs', { transient: false })]);
    const failed = await harness.producer.enqueueRun({ trigger: 'manual' });
    await waitForRunFinished(harness.runs, failed.name, { timeoutMs: 15_000, intervalMs: 20 });
    spa.script([21_000]);
    const page = await loggedIn('otto');
    await page.goto(`${web.url}/runs/${failed.name}`);
    expect(await page.textContent('#run-message')).toMatch(/SPA: HTTP 503/);
    await snap(page, 'run-failed');
    await page.click('#retry');
    await page.waitForURL((url) => url.pathname !== `/runs/${failed.name}`);
    expect(await page.textContent('main')).toContain(`Retry #1 of ${failed.name}`);
    await page.close();
  });

  it('renders the totals chart and raised no console or CSP errors', async () => {
    const page = await loggedIn('vera');
    await page.goto(`${web.url}/totals`);
    expect(await page.locator('.totals-chart rect').count()).toBeGreaterThan(0);
    // One chart per client with runs; those with figures in the range draw their limit line.
    expect(await page.locator('.chart[data-client]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.chart[data-client="acme"] .limit-line').count()).toBe(1);
    await snap(page, 'totals');
    await page.close();
    expect(consoleErrors).toEqual([]);
  });

  it('opens Bull Board with every jobtally queue', async () => {
    const page = await loggedIn('otto');
    await page.click('nav a:has-text("Queues")');
    await page.waitForURL(/\/admin\/queues/);
    for (const queue of ['fetch', 'aggregate', 'schedule']) await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 15_000 });
    await snap(page, 'bull-board');
    await page.close();
  });
});
