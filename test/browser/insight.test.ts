import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import type { WebServer } from '../../src/http/server.js';
import { addDays, secondsIntoDay, weekdayOf, zonedInstant } from '../../src/insight/calendar.js';
import { RunAnomalyCheck } from '../../src/monitor/anomaly-check.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { businessDateOf } from '../../src/runs/names.js';
import type { CountBreakdown } from '../../src/sources/types.js';
import { launchChromium } from '../support/browser.js';
import { createHarness, type Harness } from '../support/harness.js';
import { seedSuccessfulRuns, zoneAtNoon, type SeededRun } from '../support/insight.js';
import { scriptedSource } from '../support/sources.js';
import { PASSWORDS, startHarnessWeb, webUsersConfig } from '../support/web.js';

const SCREENSHOTS = path.join('test-artifacts', 'screenshots');
const HOUR = 3600;

let harness: Harness;
let web: WebServer;
let browser: Browser;
const problems: string[] = [];
const startedAt = new Date();
// Just after midnight no projection can be made yet (rightly): the page is read at its zone's noon.
const ZONE = zoneAtNoon(startedAt);
const today = businessDateOf(startedAt, ZONE);
const spa = scriptedSource('SPA', [0]);
const upctm = scriptedSource('UPCTM', [0]);

/** Share of a day's executions done by `second`: an S-curve around noon, 100% at midnight. */
function share(second: number): number {
  const logistic = (at: number) => 1 / (1 + Math.exp(-(at - 12 * HOUR) / (2.5 * HOUR)));
  return logistic(second) / logistic(24 * HOUR);
}

/** A day's final figure: quieter at weekends, a little noise on weekdays. */
function finalOf(date: string, back: number): number {
  const weekend = [0, 6].includes(weekdayOf(date));
  return (weekend ? 18_000 : 30_000) + ((back * 379) % 1_200) - 600;
}

function breakdown(total: number, applications: Record<string, number>): CountBreakdown {
  return {
    byStatus: { 'Ended OK': Math.round(total * 0.86), 'Ended Not OK': Math.round(total * 0.04), Executing: Math.round(total * 0.03), 'Wait Condition': Math.round(total * 0.05), 'Wait Resource': Math.round(total * 0.01), 'Wait Host': Math.round(total * 0.01) },
    byApplication: applications,
  };
}

function applicationsOf(total: number, tilt: number): Record<string, number> {
  const weights: [string, number][] = [['FIN', 0.31 + tilt], ['HR', 0.18], ['OPS', 0.16 - tilt], ['SALES', 0.12], ['CRM', 0.09], ['DWH', 0.07], ['PAY, "weekly"', 0.04], ['EDI', 0.03]];
  return Object.fromEntries(weights.map(([name, weight]) => [name, Math.round(total * weight)]));
}

function breakdownRows(source: string, value: CountBreakdown): NonNullable<SeededRun['breakdowns']> {
  return [
    ...Object.entries(value.byStatus ?? {}).map(([key, count]) => ({ source, dimension: 'status' as const, key, count })),
    ...Object.entries(value.byApplication ?? {}).map(([key, count]) => ({ source, dimension: 'application' as const, key, count })),
  ];
}

beforeAll(async () => {
  harness = await createHarness({ ...(await webUsersConfig()), client: 'acme', timezone: ZONE });
  // The check's clock is pinned so the hour of day cannot change between seeding and the run.
  const check = new RunAnomalyCheck({ insight: harness.insight, alerts: { send: (event) => Promise.resolve(void harness.alerts.push(event)) }, logger: harness.logger, rules: harness.config.insight.anomalies, timezone: ZONE, now: () => startedAt });
  harness.startWorkers([spa, upctm], { afterSuccess: (run) => check.afterSuccess(run) });
  web = await startHarnessWeb(harness);
  browser = await launchChromium();
  await mkdir(SCREENSHOTS, { recursive: true });

  // A month of runs every hour at :30 for client acme; the latest of each day has breakdowns.
  const runs: SeededRun[] = [];
  for (let back = 30; back >= 1; back--) {
    const date = addDays(today, -back);
    const final = finalOf(date, back);
    for (let hour = 0; hour < 24; hour++) {
      const total = Math.round(final * share(hour * HOUR + 1800));
      const counts = { SPA: Math.round(total * 0.55), UPCTM: total - Math.round(total * 0.55) };
      runs.push({ client: 'acme', businessDate: date, at: zonedInstant(date, hour * HOUR + 1800, ZONE), counts, ...(hour === 23 ? { breakdowns: breakdownRows('SPA', breakdown(counts.SPA, applicationsOf(counts.SPA, 0))) } : {}) });
    }
  }
  // Today is busier than usual so far.
  const nowSecond = secondsIntoDay(startedAt, ZONE);
  for (let hour = 0; hour * HOUR + 1800 < nowSecond - 120; hour++) {
    const total = Math.min(40_000, Math.round(40_500 * share(hour * HOUR + 1800)));
    runs.push({ client: 'acme', businessDate: today, at: zonedInstant(today, hour * HOUR + 1800, ZONE), counts: { SPA: Math.round(total * 0.55), UPCTM: total - Math.round(total * 0.55) } });
  }
  await seedSuccessfulRuns(harness.database.db, runs);

  // Then a real run whose SPA count jumps: stored with its breakdown, flagged as an anomaly.
  const usual = Math.round(40_500 * share(nowSecond));
  const usualSpa = Math.round(usual * 0.55);
  const spaCount = Math.min(usualSpa * 3 + 50, usualSpa + 47_000 - usual);
  const upctmCount = usual - usualSpa;
  spa.script([() => Promise.resolve({ count: spaCount, breakdown: breakdown(spaCount, applicationsOf(spaCount, 0.08)) })]);
  upctm.script([() => Promise.resolve({ count: upctmCount, breakdown: breakdown(upctmCount, { FIN: Math.round(upctmCount * 0.5), HR: upctmCount - Math.round(upctmCount * 0.5) }) })]);
  const queued = await harness.producer.enqueueRun({ trigger: 'manual', parameters: { client: 'acme' } });
  const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
  if (run.status !== RUN_STATUS.success) throw new Error(`seed run ended ${run.status}: ${run.message ?? ''}`);
});
afterAll(async () => {
  await browser.close();
  await web.close();
  await harness.close();
});

async function loggedIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${web.url}/runs`);
  await page.fill('input[name=username]', 'vera');
  await page.fill('input[name=password]', PASSWORDS.viewer);
  await page.click('#login button[type=submit]');
  await page.waitForURL(/\/runs$/);
  return page;
}

describe('insight page in a browser', () => {
  it('renders today, savings, applications, trend lines and the anomaly of the seeded month', async () => {
    const page = await loggedIn();
    await page.click('nav a:has-text("Insight")');
    await page.waitForURL(/\/insight$/);
    expect(await page.inputValue('select[name=client]')).toBe('acme');
    expect(await page.textContent('#card-total strong')).toMatch(/^\d{1,3}(,\d{3})*$/);
    expect(await page.textContent('#card-limit strong')).toBe('48,500');
    expect(await page.textContent('#card-projection strong')).toMatch(/^\d{1,3}(,\d{3})*$/);
    expect(await page.locator('#savings-table tbody tr').count()).toBe(6);
    expect(await page.locator('#applications-table tbody tr').count()).toBe(8);
    expect(await page.textContent('#applications-table tbody tr:first-child td:first-child')).toBe('FIN');
    expect(await page.locator('#trend-chart g.series').count()).toBe(3);
    expect(await page.locator('#trends-table tbody tr').count()).toBe(30);
    expect(await page.textContent('#anomalies-table')).toContain('Unusual count: SPA counted');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'insight.png'), fullPage: true });
    await page.close();
  });

  it('downloads a table as CSV from its link', async () => {
    const page = await loggedIn();
    await page.goto(`${web.url}/insight?client=acme&days=7`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-trends')]);
    expect(download.suggestedFilename()).toBe(`jobtally-trends-acme-${today}.csv`);
    const text = await readFile(await download.path(), 'utf8');
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('business_date,subject,figure,change_vs_day_before,change_vs_day_before_percent,change_vs_last_week,change_vs_last_week_percent');
    expect(lines).toHaveLength(1 + 7 * 3);
    expect(lines[1]).toMatch(new RegExp(`^${today},total,\\d+,`));
    const [applications] = await Promise.all([page.waitForEvent('download'), page.click('#csv-applications')]);
    expect(await readFile(await applications.path(), 'utf8')).toContain('"PAY, ""weekly"""');
    await page.close();
  });

  it('switches client with the filter and shows the empty state', async () => {
    const page = await loggedIn();
    await page.goto(`${web.url}/insight?client=globex`);
    expect(await page.textContent('#empty')).toContain('No successful runs for client globex yet.');
    await page.selectOption('select[name=client]', 'acme');
    await page.selectOption('select[name=days]', '7');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/client=acme&days=7/);
    expect(await page.locator('#trends-table tbody tr').count()).toBe(7);
    await page.goto(`${web.url}/insight?client=globex`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'insight-empty.png'), fullPage: true });
    await page.close();
  });

  it('raised no console or CSP errors', () => {
    expect(problems).toEqual([]);
  });
});
