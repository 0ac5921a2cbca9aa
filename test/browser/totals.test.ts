import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import type { WebServer } from '../../src/http/server.js';
import { launchChromium } from '../support/browser.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { basic, PASSWORDS, startHarnessWeb, webUsersConfig } from '../support/web.js';

const ARTIFACTS = 'test-artifacts';

let harness: Harness;
let web: WebServer;
let browser: Browser;
const spa = scriptedSource('SPA', [0]);
const upctm = scriptedSource('UPCTM', [0]);
const runNames: Record<string, string> = {};

/** One run through the real flow with these source answers. */
async function count(label: string, client: string, date: string, answers: { SPA?: number | Error; UPCTM?: number | Error }, sources?: string[]) {
  spa.script([answers.SPA ?? 0]);
  upctm.script([answers.UPCTM ?? 0]);
  const queued = await harness.producer.enqueueRun({ trigger: 'manual', parameters: { client, date, ...(sources ? { sources } : {}) } });
  const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
  runNames[label] = run.name;
  return run;
}

const FROM = '2026-11-30';
const TO = '2026-12-05';

beforeAll(async () => {
  harness = await createHarness({
    ...(await webUsersConfig()),
    license: { limit: 80_000 },
    clients: [
      { name: 'acme', sources: ['SPA', 'UPCTM'], limit: 48_500 },
      { name: 'globex', sources: ['SPA'], share: '40%' },
    ],
  });
  harness.startWorkers([spa, upctm]);
  web = await startHarnessWeb(harness);
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
  // acme: figures, a gap on 12-02 (no run), a breach on 12-03 after a lower figure, a partial-only 12-05.
  await count('acme 11-30', 'acme', '2026-11-30', { SPA: 20_000, UPCTM: 18_258 });
  await count('acme 12-01', 'acme', '2026-12-01', { SPA: 21_500, UPCTM: 21_989 });
  await count('acme 12-03 figure', 'acme', '2026-12-03', { SPA: 19_000, UPCTM: 22_000 });
  await count('acme 12-03 breach', 'acme', '2026-12-03', { SPA: 33_000, UPCTM: 28_954 });
  await count('acme 12-04', 'acme', '2026-12-04', { SPA: 22_000, UPCTM: 24_000 });
  await count('acme 12-05 partial', 'acme', '2026-12-05', { UPCTM: 15_265 }, ['UPCTM']);
  // globex: every date but 12-04, where its source is failing.
  for (const [date, total] of [['2026-11-30', 25_000], ['2026-12-01', 27_400], ['2026-12-02', 26_100], ['2026-12-03', 29_800], ['2026-12-05', 24_900]] as const) {
    await count(`globex ${date}`, 'globex', date, { SPA: total });
  }
  await count('globex 12-04 failing', 'globex', '2026-12-04', { SPA: new SourceUnavailableError('SPA', 'HTTP 404 from GET /usage/jobs', { transient: false }) });
});
afterAll(async () => {
  await browser.close();
  await web.close();
  await harness.close();
});

describe('/totals with two clients in a browser', () => {
  it('shows each client side by side, the breach day with what it counted and a link to its run, and the gaps', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${web.url}/totals?from=${FROM}&to=${TO}`);
    await page.fill('input[name=username]', 'vera');
    await page.fill('input[name=password]', PASSWORDS.viewer);
    await page.click('#login button[type=submit]');
    await page.waitForURL(/\/totals\?/);

    const breach = page.locator('.breach[data-client="acme"][data-date="2026-12-03"]');
    expect(await breach.textContent()).toContain('breach 61,954 > 48,500');
    expect(await breach.locator('a').getAttribute('href')).toBe(`/runs/${runNames['acme 12-03 breach'] ?? ''}`);
    // The lower figure of that day is still shown, next to the breach.
    expect(await page.locator('#totals tr[data-date="2026-12-03"] td').nth(1).textContent()).toContain('41,000');
    expect(await page.locator('.chart[data-client="acme"] rect.breach-bar').count()).toBe(1);
    // Each client's own figure: globex is not acme's.
    expect(await page.locator('#totals tr[data-date="2026-12-01"] td').nth(1).textContent()).toContain('43,489');
    expect(await page.locator('#totals tr[data-date="2026-12-01"] td').nth(3).textContent()).toContain('27,400');
    expect(await page.locator('.gap[data-client="acme"][data-date="2026-12-02"]').textContent()).toBe('no run');
    expect(await page.locator('.gap[data-client="acme"][data-date="2026-12-05"]').textContent()).toBe('partial scope only');
    expect(await page.locator('.gap[data-client="globex"][data-date="2026-12-04"]').textContent()).toBe('failing');
    expect(await page.locator('#peak-acme').textContent()).toBe('46,000');
    await page.screenshot({ path: path.join(ARTIFACTS, 'totals-two-clients.png'), fullPage: true });

    // The same answers from the API, kept next to the screenshot.
    const auth = { authorization: basic('vera', PASSWORDS.viewer) };
    const totals = (await (await fetch(`${web.url}/api/totals?from=${FROM}&to=${TO}`, { headers: auth })).json()) as { breaches: { client: string; total: number; runName: string }[]; gaps: { client: string; date: string; state: string }[] };
    expect(totals.breaches).toEqual([expect.objectContaining({ client: 'acme', businessDate: '2026-12-03', total: 61_954, limit: 48_500, runName: runNames['acme 12-03 breach'] })]);
    expect(totals.gaps.map((gap) => [gap.client, gap.date, gap.state])).toEqual([
      ['acme', '2026-12-02', 'no-run'],
      ['acme', '2026-12-05', 'partial-only'],
      ['globex', '2026-12-04', 'failing'],
    ]);
    const completeness = (await (await fetch(`${web.url}/api/completeness?client=acme&from=${FROM}&to=${TO}`, { headers: auth })).json()) as { gaps: string[] };
    expect(completeness.gaps).toEqual(['2026-12-02', '2026-12-05']);
    await writeFile(path.join(ARTIFACTS, 'totals-two-clients.json'), JSON.stringify({ totals, completeness }, null, 2));
    await page.close();
  });
});
