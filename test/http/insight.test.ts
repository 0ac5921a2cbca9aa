import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebServer } from '../../src/http/server.js';
import { addDays } from '../../src/insight/calendar.js';
import { businessDateOf } from '../../src/runs/names.js';
import { createHarness, type Harness } from '../support/harness.js';
import { DAY_MS, seedSuccessfulRuns, type SeededRun } from '../support/insight.js';
import { basic, PASSWORDS, Session, startHarnessWeb, webUsersConfig } from '../support/web.js';

let harness: Harness;
let web: WebServer;
const viewer = basic('vera', PASSWORDS.viewer);
const operator = basic('otto', PASSWORDS.operator);
const now = new Date();
const today = businessDateOf(now, 'UTC');
const HOSTILE_APP = '=cmd|\' /C calc\'!A0';
const QUOTED_APP = 'Pay, "Roll"';
const HTML_APP = '<img src=x onerror=alert(1)>';

/** A run of `acme` with status and application breakdowns for SPA. */
function acmeRun(date: string, at: Date, spa: number, upctm: number, applications: Record<string, number>): SeededRun {
  return {
    client: 'acme',
    businessDate: date,
    at,
    counts: { SPA: spa, UPCTM: upctm },
    breakdowns: [
      { source: 'SPA', dimension: 'status', key: 'Ended OK', count: spa - 300 },
      { source: 'SPA', dimension: 'status', key: 'Ended Not OK', count: 100 },
      { source: 'SPA', dimension: 'status', key: 'Wait Condition', count: 150 },
      { source: 'SPA', dimension: 'status', key: 'Wait Host', count: 50 },
      ...Object.entries(applications).map(([key, count]) => ({ source: 'SPA', dimension: 'application' as const, key, count })),
    ],
  };
}

let latestRunName = '';

beforeAll(async () => {
  harness = await createHarness(await webUsersConfig());
  web = await startHarnessWeb(harness);
  const history: SeededRun[] = [];
  for (let back = 10; back >= 1; back--) {
    const date = addDays(today, -back);
    const at = new Date(now.getTime() - back * DAY_MS);
    history.push(acmeRun(date, at, 20_000 + back * 100, 10_000, { FIN: 6_000, HR: 3_000, [QUOTED_APP]: 500 }));
  }
  const seeded = await seedSuccessfulRuns(harness.database.db, [
    ...history,
    {
      ...acmeRun(today, new Date(now.getTime() - 60_000), 21_000, 10_500, { FIN: 7_000, HR: 2_500, [HOSTILE_APP]: 900, [QUOTED_APP]: 450, [HTML_APP]: 10 }),
      metrics: [
        { source: 'SPA', metric: 'ordered', value: 21_000 },
        { source: 'SPA', metric: 'executions', value: 26_400 },
        { source: 'SPA', metric: 'never_ran', value: 200 },
        { source: 'SPA', metric: 'dummy', value: 35 },
        { source: 'SPA', metric: 'carried_over', value: 12 },
      ],
    },
  ]);
  const latest = seeded.at(-1);
  if (!latest) throw new Error('nothing seeded');
  latestRunName = latest.name;
  await harness.insight.recordAnomalies({ runId: latest.id, client: 'acme', businessDate: today }, [
    {
      anomaly: { kind: 'count', subject: 'SPA', value: 21_000, median: 20_500, low: 20_400, high: 20_600, history: 10 },
      message: 'Unusual count: SPA counted 21,000 job executions, far above the expected 20,400–20,600 (median 20,500 of the last 10 successful runs at 10:00–11:00).',
    },
    { anomaly: { kind: 'ratio', subject: 'SPA/UPCTM', value: 2, median: 2.05, low: 2.01, high: 2.09, history: 10 }, message: '=HYPERLINK("http://evil.example","click")' },
  ]);
});
afterAll(async () => {
  await web.close();
  await harness.close();
});

function get(path: string, auth?: string) {
  return fetch(`${web.url}${path}`, { headers: auth ? { authorization: auth } : {}, redirect: 'manual' });
}

/** Minimal RFC 4180 reader for checking what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      row.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      index++;
    } else field += character;
  }
  return rows;
}

describe('insight page access', () => {
  it('asks for a login first, for the page and for every CSV', async () => {
    const page = await get('/insight?client=acme');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Finsight%3Fclient%3Dacme');
    for (const table of ['summary', 'savings', 'applications', 'trends', 'anomalies']) expect((await get(`/insight/${table}.csv`)).status).toBe(303);
  });

  it('is open to viewers and operators, through a session too, and linked from the nav', async () => {
    expect((await get('/insight?client=acme', viewer)).status).toBe(200);
    expect((await get('/insight?client=acme', operator)).status).toBe(200);
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const runs = await (await session.request('/runs')).text();
    expect(runs).toContain('<a href="/insight">Insight</a>');
    const page = await session.request('/insight/trends.csv?client=acme');
    expect(page.status).toBe(200);
  });

  it('keeps the strict content security policy: no inline script', async () => {
    const response = await get('/insight?client=acme', viewer);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const text = await response.text();
    expect(text).not.toMatch(/<script(?![^>]*src="\/assets\/app\.js")/);
    expect(text).not.toMatch(/\son[a-z]+="/);
  });
});

describe('insight page content', () => {
  it('shows today, savings, top applications, trends and anomalies for the chosen client', async () => {
    const text = await (await get('/insight?client=acme&days=7', viewer)).text();
    expect(text).toContain('<option value="acme" selected>acme</option>');
    expect(text).toContain('<option value="7" selected>7</option>');
    expect(text).toMatch(/id="card-total"><span class="label">Total so far<\/span><strong>31,500<\/strong>/);
    expect(text).toMatch(/id="card-limit"><span class="label">License limit<\/span><strong>48,500<\/strong>/);
    // Savings from the latest run: 100 failed, 200 waiting, of 31,500.
    expect(text).toContain(`<a href="/runs/${latestRunName}">${latestRunName}</a>`);
    expect(text).toMatch(/Failed \(Ended Not OK\)<\/td><td>all sources<\/td><td class="num">100<\/td><td class="num">0\.3%<\/td>/);
    expect(text).toMatch(/Ordered but not running[^<]*<\/td><td>all sources<\/td><td class="num">200<\/td><td class="num">0\.6%<\/td>/);
    // Applications, biggest first, with the change from yesterday (FIN 6,000 → 7,000).
    expect(text).toMatch(/<td>FIN<\/td><td class="num">7,000<\/td><td class="num">6,000<\/td><td class="num up">\+1,000 <small>\(\+16\.7%\)<\/small><\/td>/);
    expect(text).toMatch(/<td>HR<\/td><td class="num">2,500<\/td><td class="num">3,000<\/td><td class="num down">-500 <small>\(-16\.7%\)<\/small><\/td>/);
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).not.toContain(HTML_APP);
    // Trends: chart with one line per source plus the total, and today's row with its changes.
    expect(text).toContain('id="trend-chart"');
    expect(text.match(/<g class="series"/g)).toHaveLength(3);
    expect(text).toMatch(new RegExp(`<td>${today} <small class="muted">\\w{3}</small></td><td class="num">31,500</td><td class="num up">\\+1,400 <small>\\(\\+4\\.7%\\)</small></td><td class="num up">\\+800 <small>\\(\\+2\\.6%\\)</small></td>`));
    // Anomalies, newest first, explained in plain words.
    expect(text).toContain('Unusual count: SPA counted 21,000 job executions');
    expect(text.match(/id="csv-[a-z]+"/g)).toEqual(['id="csv-summary"', 'id="csv-savings"', 'id="csv-applications"', 'id="csv-trends"', 'id="csv-anomalies"']);
  });

  it('shows what the jobs-status sources would bill under each definition', async () => {
    const text = await (await get('/insight?client=acme', viewer)).text();
    expect(text).toContain('<h2>What the license counts</h2>');
    expect(text).toContain(
      '<tr><td>SPA</td><td class="num">21,000</td><td class="num">21,000</td><td class="num">26,400</td><td class="num">200</td><td class="num">35</td><td class="num">12</td><td class="num">–</td><td class="num">–</td></tr>',
    );
  });

  it('shows an empty state for a client without successful runs, and falls back on bad parameters', async () => {
    const text = await (await get('/insight?client=nobody&days=banana', viewer)).text();
    expect(text).toContain('id="empty"');
    expect(text).toContain('No successful runs for client <strong>nobody</strong> yet.');
    expect(text).toContain('<option value="30" selected>30</option>');
    expect(text).not.toContain('id="trend-chart"');
  });

  it('defaults to a client that has runs', async () => {
    const text = await (await get('/insight', viewer)).text();
    expect(text).toContain('<option value="acme" selected>acme</option>');
  });
});

describe('insight CSV exports', () => {
  it('downloads each table as text/csv with a file name', async () => {
    for (const table of ['summary', 'savings', 'applications', 'trends', 'anomalies']) {
      const response = await get(`/insight/${table}.csv?client=acme`, viewer);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe(`attachment; filename=jobtally-${table}-acme-${today}.csv`);
      expect((await response.text()).endsWith('\r\n')).toBe(true);
    }
  });

  it('exports the daily trends in long form, one row per date and subject', async () => {
    const rows = parseCsv(await (await get('/insight/trends.csv?client=acme&days=7', viewer)).text());
    expect(rows[0]).toEqual(['business_date', 'subject', 'figure', 'change_vs_day_before', 'change_vs_day_before_percent', 'change_vs_last_week', 'change_vs_last_week_percent']);
    expect(rows).toHaveLength(1 + 7 * 3);
    const [, total, spa] = rows;
    expect(total?.slice(0, 4)).toEqual([today, 'total', '31500', '1400']);
    expect(total?.[5]).toBe('800');
    expect(spa?.slice(0, 4)).toEqual([today, 'SPA', '21000', '900']);
    expect(rows.find((row) => row[0] === addDays(today, -6) && row[1] === 'UPCTM')?.slice(2)).toEqual(['10000', '0', '0', '', '']);
  });

  it('escapes commas and quotes, and keeps formulas and negatives apart', async () => {
    const applications = await (await get('/insight/applications.csv?client=acme', viewer)).text();
    expect(applications).toContain(`\r\n'${HOSTILE_APP},${today},900,`);
    expect(applications).toContain(`\r\n"Pay, ""Roll""",${today},450,${addDays(today, -1)},500,-50,-10\r\n`);
    const rows = parseCsv(applications);
    expect(rows.map((row) => row[0])).toEqual(['application', 'FIN', 'HR', `'${HOSTILE_APP}`, QUOTED_APP, HTML_APP]);
    expect(rows.find((row) => row[0] === 'HR')?.slice(5)).toEqual(['-500', String((-500 / 3000) * 100)]);
    const anomalies = parseCsv(await (await get('/insight/anomalies.csv?client=acme', viewer)).text());
    expect(anomalies[0]).toEqual(['found_at', 'business_date', 'run', 'kind', 'subject', 'value', 'median', 'expected_low', 'expected_high', 'history_runs', 'explanation']);
    expect(anomalies.map((row) => row[10])).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(anomalies.find((row) => row[4] === 'SPA')?.slice(2, 10)).toEqual([latestRunName, 'count', 'SPA', '21000', '20500', '20400', '20600', '10']);
  });

  it('exports savings and today’s summary', async () => {
    const savings = parseCsv(await (await get('/insight/savings.csv?client=acme', viewer)).text());
    expect(savings.slice(1).map((row) => [row[3], row[4], row[5]])).toEqual([
      ['failed', 'all', '100'],
      ['failed', 'SPA', '100'],
      ['waiting', 'all', '200'],
      ['waiting', 'SPA', '200'],
    ]);
    const [header, summary] = parseCsv(await (await get('/insight/summary.csv?client=acme', viewer)).text());
    expect(header).toEqual(['client', 'business_date', 'total', 'counted_at_local', 'projected', 'limit', 'method', 'crossing_at', 'crossing_at_local', 'time_zone', 'basis']);
    expect(summary?.slice(0, 3)).toEqual(['acme', today, '31500']);
    expect(summary?.[5]).toBe('48500');
  });

  it('exports headers only for a client without runs', async () => {
    expect(await (await get('/insight/anomalies.csv?client=nobody', viewer)).text()).toBe('found_at,business_date,run,kind,subject,value,median,expected_low,expected_high,history_runs,explanation\r\n');
    expect(parseCsv(await (await get('/insight/savings.csv?client=nobody', viewer)).text())).toHaveLength(1);
  });
});
