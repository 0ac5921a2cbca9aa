import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { InputError } from '../../src/errors.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { totalsReport, clientCompleteness } from '../../src/http/totals-report.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { waitFor } from '../support/wait.js';
import { describeAlert } from '../../src/notify/events.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/persistence/db.js';

/**
 * Clients through the real flow: acme is counted on SPA and UPCTM, beta on SPA alone, and the two
 * share a license. A figure is a complete scope's total, per client, and nothing else.
 */
let harness: Harness;
const spa = scriptedSource('SPA', [100]);
const upctm = scriptedSource('UPCTM', [200]);
const DATE = '2026-03-02';

beforeAll(async () => {
  harness = await createHarness({
    license: { limit: 500 },
    clients: [
      { name: 'acme', sources: ['SPA', 'UPCTM'], limit: 1000, share: '60%' },
      { name: 'beta', sources: ['SPA'], limit: 250 },
      { name: 'tight', sources: ['SPA', 'UPCTM'], limit: 250 },
    ],
  });
  harness.startWorkers([spa, upctm]);
});
afterAll(async () => {
  await harness.close();
});

async function run(parameters: Record<string, unknown>, idempotencyKey?: string) {
  const queued = await harness.producer.enqueueRun({ trigger: 'api', parameters, idempotencyKey });
  return waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
}

async function figure(client: string, date = DATE) {
  return (await harness.runs.dailyTotals({ client, since: date, until: date }))[0];
}

describe('clients', () => {
  it('resolves each client with its scope, and its limit as the smaller of its own and its quota', () => {
    expect(harness.config.clients).toEqual([
      { name: 'acme', sources: ['SPA', 'UPCTM'], limit: 300, nearLimitPercent: 90, quota: 300 },
      { name: 'beta', sources: ['SPA'], limit: 250, nearLimitPercent: 90, quota: undefined },
      { name: 'tight', sources: ['SPA', 'UPCTM'], limit: 250, nearLimitPercent: 90, quota: undefined },
    ]);
  });

  it('stores the scope on the run, and a complete run becomes the figure', async () => {
    const done = await run({ client: 'acme', date: DATE });
    expect(done).toMatchObject({ status: RUN_STATUS.success, scopeSources: ['SPA', 'UPCTM'], scopeLimit: 300, complete: true, countedTotal: null });
    expect(await figure('acme')).toMatchObject({ client: 'acme', total: 300, runName: done.name });
  });

  it('a partial-scope run never changes a figure: stored as an ad-hoc check with its total on the run', async () => {
    const before = await figure('acme');
    upctm.script([5]);
    spa.script([7]);
    const partial = await run({ client: 'acme', date: DATE, sources: ['UPCTM'] });
    expect(partial).toMatchObject({ status: RUN_STATUS.success, complete: false, scopeSources: ['UPCTM'], countedTotal: 5 });
    expect(partial.message).toContain('partial scope: 1 of 2 sources');
    expect(await figure('acme')).toEqual(before);
    const detail = await harness.runs.getDetail(partial.name);
    expect(detail?.total).toBeUndefined();
    expect(detail?.details[0]?.message).toContain('partial scope: 1 of 2 sources');
    spa.script([100]);
    upctm.script([200]);
  });

  it('two clients never overwrite each other', async () => {
    await run({ client: 'beta', date: DATE });
    expect(await figure('beta')).toMatchObject({ total: 100 });
    expect(await figure('acme')).toMatchObject({ total: 300 });
    const all = await harness.runs.dailyTotals({ since: DATE, until: DATE });
    expect(all.map((row) => [row.client, row.total])).toEqual([
      ['acme', 300],
      ['beta', 100],
    ]);
  });

  it('refuses sources outside the client and unknown clients', async () => {
    await expect(harness.producer.enqueueRun({ trigger: 'api', parameters: { client: 'beta', sources: ['UPCTM'] } })).rejects.toThrow(/not a source of client beta/);
    await expect(harness.producer.enqueueRun({ trigger: 'api', parameters: { client: 'nobody' } })).rejects.toBeInstanceOf(InputError);
    await expect(harness.producer.enqueueRun({ trigger: 'api', parameters: {} })).rejects.toThrow(/which client/);
  });

  it('a breach keeps what it counted on the run, and shows in the report with a link to the run', async () => {
    const breach = await run({ client: 'tight', date: DATE });
    expect(breach).toMatchObject({ status: RUN_STATUS.error, countedTotal: 300, scopeLimit: 250 });
    expect(await figure('tight')).toBeUndefined();
    const report = await totalsReport(harness, { from: DATE, to: DATE, client: undefined });
    expect(report.breaches).toEqual([expect.objectContaining({ client: 'tight', businessDate: DATE, runName: breach.name, total: 300, limit: 250, complete: true })]);
    await waitFor('the breach alert', () => Promise.resolve(harness.alerts.find((alert) => alert.kind === 'limit-exceeded')));
    expect(harness.alerts).toContainEqual(expect.objectContaining({ kind: 'limit-exceeded', client: 'tight', total: 300, limit: 250 }));
  });

  it('adds the clients’ figures of a date against the shared license and says who crossed it', async () => {
    const date = '2026-03-03';
    await run({ client: 'beta', date });
    spa.script([170]);
    await run({ client: 'acme', date });
    spa.script([100]);
    // acme 370 is over its quota 300: refused, and the alert says it was the quota.
    expect(await figure('acme', date)).toBeUndefined();
    const quota = await waitFor('the quota alert', () => Promise.resolve(harness.alerts.find((alert) => alert.kind === 'limit-exceeded' && alert.client === 'acme')));
    expect(describeAlert(quota).text).toMatch(/^Total 370 is over acme's quota of the shared license 300 by 70 \(run \d{14}/);
    const acme = await run({ client: 'acme', date: '2026-03-04' });
    upctm.script([200]);
    spa.script([240]);
    const beta = await run({ client: 'beta', date: '2026-03-04' });
    spa.script([100]);
    expect(beta.status).toBe(RUN_STATUS.success);
    // Alerts go out after the result is stored.
    await waitFor('the license alert', () => Promise.resolve(harness.alerts.find((alert) => alert.kind === 'license-exceeded')));
    expect(harness.alerts).toContainEqual(
      expect.objectContaining({ kind: 'license-exceeded', client: 'beta', runName: beta.name, businessDate: '2026-03-04', sum: 540, limit: 500, figures: [expect.objectContaining({ client: 'acme', total: 300, runName: acme.name }), expect.objectContaining({ client: 'beta', total: 240 })] }),
    );
    const nearLimit = harness.alerts.find((alert) => alert.kind === 'near-limit' && alert.runName === acme.name);
    expect(nearLimit).toMatchObject({ percent: 100, peak: { newPeak: false, previous: { total: 300, businessDate: DATE } } });
    expect(nearLimit && describeAlert(nearLimit).text).toContain('The 365-day peak stays 300 on 2026-03-02 (equalled).');
    const license = harness.alerts.find((alert) => alert.kind === 'license-exceeded');
    expect(license && describeAlert(license).text).toBe("The clients' figures add up to 540, over the shared license 500 by 40: acme 300, beta 240. beta's run " + beta.name + ' crossed it.');
    const report = await totalsReport(harness, { from: '2026-03-04', to: '2026-03-04', client: undefined });
    expect(report.licenseUse).toEqual([{ businessDate: '2026-03-04', sum: 540, limit: 500, over: true }]);
  });

  it('completeness lists a missing date, a failing one and a partial-only one', async () => {
    await run({ client: 'acme', date: '2026-04-01' });
    await run({ client: 'acme', date: '2026-04-03', sources: ['SPA'] });
    upctm.script([new Error('down')]);
    await run({ client: 'acme', date: '2026-04-04' });
    upctm.script([200]);
    const dates = await clientCompleteness(harness, 'acme', '2026-04-01', '2026-04-04');
    expect(dates.map((date) => [date.date, date.state])).toEqual([
      ['2026-04-01', 'complete'],
      ['2026-04-02', 'no-run'],
      ['2026-04-03', 'partial-only'],
      ['2026-04-04', 'failing'],
    ]);
    expect(dates[2]?.sources).toEqual([
      { source: 'SPA', state: 'partial-only' },
      { source: 'UPCTM', state: 'no-run' },
    ]);
    expect(dates[3]?.failingSince).not.toBeNull();
  });

  it('concurrent runs of two clients keep exact figures', async () => {
    const date = '2026-05-01';
    const queued = await Promise.all(
      Array.from({ length: 20 }, (_, index) => harness.producer.enqueueRun({ trigger: 'api', parameters: { client: index % 2 === 0 ? 'acme' : 'beta', date } })),
    );
    const finished = await Promise.all(queued.map((one) => waitForRunFinished(harness.runs, one.name, { timeoutMs: 30_000, intervalMs: 20 })));
    expect(finished.every((one) => one.status === RUN_STATUS.success)).toBe(true);
    const acme = await figure('acme', date);
    const beta = await figure('beta', date);
    expect(acme?.total).toBe(300);
    expect(beta?.total).toBe(100);
    const ofClient = (client: string) => new Set(finished.filter((one) => one.client === client).map((one) => one.name));
    expect(ofClient('acme').has(acme?.runName ?? '')).toBe(true);
    expect(ofClient('beta').has(beta?.runName ?? '')).toBe(true);
    // Each figure is its client's latest stored total, whichever client finished last.
    const latest = async (client: string) => {
      const [row] = await queryRows<{ run_name: string }>(harness.database.db, sql`select run_name from totals where client = ${client} and business_date = ${date} order by created_at desc, job_log_id desc limit 1`);
      return row?.run_name;
    };
    expect(acme?.runName).toBe(await latest('acme'));
    expect(beta?.runName).toBe(await latest('beta'));
  });
});
