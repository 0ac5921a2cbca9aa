import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RunAnomalyCheck } from '../../src/monitor/anomaly-check.js';
import type { AlertEvent } from '../../src/notify/events.js';
import { InsightRepository } from '../../src/persistence/insight-repository.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { businessDateOf } from '../../src/runs/names.js';
import { createHarness, type Harness } from '../support/harness.js';
import { DAY_MS, recordingDatabase, scansOf, seedSuccessfulRuns } from '../support/insight.js';
import { scriptedSource } from '../support/sources.js';

let harness: Harness;
const spa = scriptedSource('SPA', [20_000]);
const upctm = scriptedSource('UPCTM', [10_000]);
/** The check's clock is pinned, so the hour of day cannot roll over between seeding and checking. */
const checkedAt = new Date();
const today = businessDateOf(checkedAt, 'UTC');

beforeAll(async () => {
  harness = await createHarness();
  const check = new RunAnomalyCheck({ insight: harness.insight, alerts: { send: (event) => Promise.resolve(void harness.alerts.push(event)) }, logger: harness.logger, rules: harness.config.insight.anomalies, timezone: 'UTC', now: () => checkedAt });
  harness.startWorkers([spa, upctm], { afterSuccess: (run) => check.afterSuccess(run) });
  // Two weeks of history at this hour of day: SPA about 20,000, UPCTM about 10,000.
  await seedSuccessfulRuns(
    harness.database.db,
    Array.from({ length: 14 }, (_, index) => {
      const at = new Date(checkedAt.getTime() - (index + 1) * DAY_MS);
      return { businessDate: businessDateOf(at, 'UTC'), at, counts: { SPA: 20_000 + (index % 5) * 40, UPCTM: 10_000 - (index % 3) * 30 } };
    }),
  );
});
afterAll(async () => {
  await harness.close();
});

async function runWith(spaCount: number, upctmCount: number) {
  spa.script([spaCount]);
  upctm.script([upctmCount]);
  const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
  const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
  const detail = await harness.runs.getDetail(run.name);
  if (!detail) throw new Error('run vanished');
  return detail;
}

describe('anomaly check after a successful run', () => {
  it('leaves an ordinary run alone: no warn line, no anomaly stored, no alert', async () => {
    const detail = await runWith(20_050, 9_990);
    expect(detail.run.status).toBe(RUN_STATUS.success);
    expect(detail.details.filter((line) => line.level === 'warn')).toEqual([]);
    expect(await harness.insight.anomalies('default', today, today, 10)).toEqual([]);
    expect(harness.alerts.filter((event) => event.kind === 'anomaly')).toEqual([]);
  });

  it('explains an unusual count on the run, stores it and alerts', async () => {
    const finished = await runWith(41_000, 7_000);
    expect(finished.run.status).toBe(RUN_STATUS.success);
    // The check runs once the run has succeeded: its lines follow the success by a moment.
    await vi.waitFor(() => expect(harness.alerts.some((event) => event.kind === 'anomaly' && event.runName === finished.run.name)).toBe(true), { timeout: 10_000 });
    const detail = await harness.runs.getDetail(finished.run.name);
    if (!detail) throw new Error('run vanished');
    const warnings = detail.details.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ source: 'SPA' });
    expect(warnings[0]?.message).toMatch(/^Unusual count: SPA counted 41,000 job executions, far above the expected [\d,]+–[\d,]+ \(median 20,080 of the last 14 successful runs at \d\d:00–\d\d:00\)\.$/);
    expect(warnings[1]?.message).toMatch(/^Unusual count: UPCTM counted 7,000 job executions, far below/);
    const stored = await harness.insight.anomalies('default', today, today, 10);
    expect(stored.map((row) => [row.kind, row.subject, row.value, row.history, row.runName]).sort()).toEqual([
      ['count', 'SPA', 41_000, 14, detail.run.name],
      ['count', 'UPCTM', 7_000, 14, detail.run.name],
    ]);
    const alert = harness.alerts.find((event): event is Extract<AlertEvent, { kind: 'anomaly' }> => event.kind === 'anomaly');
    expect(alert).toMatchObject({ runName: detail.run.name, client: 'default', businessDate: today });
    expect(alert?.anomalies.map((anomaly) => anomaly.subject)).toEqual(['SPA', 'UPCTM']);
  });

  it('costs one indexed read for an ordinary run, and only adds one write for an unusual one', async () => {
    const recording = await recordingDatabase(harness.database.url);
    try {
      const events: AlertEvent[] = [];
      const check = new RunAnomalyCheck({ insight: new InsightRepository(recording.db), alerts: { send: (event) => Promise.resolve(void events.push(event)) }, logger: harness.logger, rules: harness.config.insight.anomalies, timezone: 'UTC', now: () => checkedAt });
      const [run] = await seedSuccessfulRuns(harness.database.db, [{ businessDate: today, at: checkedAt, counts: { SPA: 20_000, UPCTM: 10_000 } }]);
      const succeeded = { runId: run!.id, runName: run!.name, client: 'default', businessDate: today };
      expect(await check.afterSuccess({ ...succeeded, counts: { SPA: 20_000, UPCTM: 10_000 } })).toEqual([]);
      expect(recording.statements).toHaveLength(1);
      expect(recording.statements[0]).toMatch(/select input\.ord, json_agg\(recent\.counts/);
      recording.statements.length = 0;
      expect(await check.afterSuccess({ ...succeeded, counts: { SPA: 90_000, UPCTM: 10_000 } })).toHaveLength(1);
      expect(recording.statements).toHaveLength(2);
      expect(recording.statements[1]).toMatch(/insert into anomalies/);
      expect(events).toHaveLength(1);
      // Checked again (a retried job): no second row, no second log line.
      expect(await check.afterSuccess({ ...succeeded, counts: { SPA: 90_000, UPCTM: 10_000 } })).toHaveLength(1);
      const detail = await harness.runs.getDetail(run!.name);
      expect(detail?.details.filter((line) => line.level === 'warn')).toHaveLength(1);
    } finally {
      await recording.close();
    }
  });

  it('judges nothing while the history at this hour is too short', async () => {
    const fresh = await createHarness();
    try {
      const check = new RunAnomalyCheck({ insight: fresh.insight, alerts: { send: () => Promise.resolve() }, logger: fresh.logger, rules: fresh.config.insight.anomalies, timezone: 'UTC', now: () => checkedAt });
      // Plenty of history, but six hours earlier in the day: not the same hour.
      await seedSuccessfulRuns(
        fresh.database.db,
        Array.from({ length: 14 }, (_, index) => {
          const at = new Date(checkedAt.getTime() - (index + 1) * DAY_MS - 6 * 3_600_000);
          return { businessDate: businessDateOf(at, 'UTC'), at, counts: { SPA: 20_000 } };
        }),
      );
      const [run] = await seedSuccessfulRuns(fresh.database.db, [{ businessDate: today, at: checkedAt, counts: { SPA: 1 } }]);
      expect(await check.afterSuccess({ runId: run!.id, runName: run!.name, client: 'default', businessDate: today, counts: { SPA: 1 } })).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('never fails the run when the check itself fails (database gone)', async () => {
    const gone = await recordingDatabase(harness.database.url);
    await gone.close();
    const broken = new RunAnomalyCheck({ insight: new InsightRepository(gone.db), alerts: { send: () => Promise.resolve() }, logger: harness.logger, rules: harness.config.insight.anomalies, timezone: 'UTC', now: () => checkedAt });
    await expect(broken.afterSuccess({ runId: 1, runName: '20260101000000', client: 'default', businessDate: today, counts: { SPA: 1 } })).resolves.toEqual([]);
  });
});

describe('same-hour history', () => {
  it('takes the latest runs within the local hour of each day, across a DST change, newest first', async () => {
    const db = harness.database.db;
    const paris = 'Europe/Paris';
    // 14:00–15:00 in Paris is 13:00–14:00 UTC in winter (before 2026-03-29) and 12:00–13:00 UTC after.
    await seedSuccessfulRuns(db, [
      { client: 'dst', businessDate: '2026-03-27', at: new Date('2026-03-27T13:10:00Z'), counts: { SPA: 1 } },
      { client: 'dst', businessDate: '2026-03-27', at: new Date('2026-03-27T12:59:59Z'), counts: { SPA: 99 } },
      { client: 'dst', businessDate: '2026-03-28', at: new Date('2026-03-28T13:59:59Z'), counts: { SPA: 2 } },
      { client: 'dst', businessDate: '2026-03-28', at: new Date('2026-03-28T14:00:00Z'), counts: { SPA: 99 } },
      { client: 'dst', businessDate: '2026-03-30', at: new Date('2026-03-30T12:00:00Z'), counts: { SPA: 3 } },
      { client: 'dst', businessDate: '2026-03-30', at: new Date('2026-03-30T13:00:00Z'), counts: { SPA: 99 } },
      { client: 'dst', businessDate: '2026-03-31', at: new Date('2026-03-31T12:30:00Z'), counts: { SPA: 4 } },
      { client: 'other', businessDate: '2026-03-31', at: new Date('2026-03-31T12:20:00Z'), counts: { SPA: 99 } },
    ]);
    const history = await harness.insight.sameHourHistory({ client: 'dst', businessDate: '2026-03-31', hour: 14, timeZone: paris, excludeRunId: 0, before: new Date('2026-03-31T12:45:00Z'), runs: 14, lookbackDays: 28 });
    expect(history.map((counts) => counts.SPA)).toEqual([4, 3, 2, 1]);
    const limited = await harness.insight.sameHourHistory({ client: 'dst', businessDate: '2026-03-31', hour: 14, timeZone: paris, excludeRunId: 0, before: new Date('2026-03-31T12:25:00Z'), runs: 2, lookbackDays: 1 });
    expect(limited.map((counts) => counts.SPA)).toEqual([3]);
  });

  it('walks back only as many days as the latest runs need, never all of the lookback', async () => {
    // Three runs at 08:xx UTC on each of four days: the latest 7 are two whole days and the newest run of the third.
    const days = ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04'];
    await seedSuccessfulRuns(
      harness.database.db,
      days.flatMap((businessDate, day) => [10, 20, 30].map((minute, index) => ({ client: 'walk', businessDate, at: new Date(`${businessDate}T08:${minute}:00Z`), counts: { SPA: day * 10 + index } }))),
    );
    const recording = await recordingDatabase(harness.database.url);
    try {
      const insight = new InsightRepository(recording.db);
      const history = await insight.sameHourHistory({ client: 'walk', businessDate: '2026-05-04', hour: 8, timeZone: 'UTC', excludeRunId: 0, before: new Date('2026-05-04T09:00:00Z'), runs: 7, lookbackDays: 28 });
      expect(history.map((counts) => counts.SPA)).toEqual([32, 31, 30, 22, 21, 20, 12]);
      // One index range per day read: today, yesterday and the day before, not 29.
      const [dayReads] = scansOf(await recording.explainAnalyzed('recent.counts'), 'totals');
      expect(dayReads?.['Actual Loops']).toBe(3);
    } finally {
      await recording.close();
    }
  });

  it('answers concurrent asks in one statement, each with its own history', async () => {
    await seedSuccessfulRuns(harness.database.db, [
      { client: 'north', businessDate: '2026-04-01', at: new Date('2026-04-01T09:10:00Z'), counts: { SPA: 11 } },
      { client: 'north', businessDate: '2026-04-02', at: new Date('2026-04-02T09:20:00Z'), counts: { SPA: 12 } },
      { client: 'south', businessDate: '2026-04-02', at: new Date('2026-04-02T09:30:00Z'), counts: { SPA: 21 } },
    ]);
    const recording = await recordingDatabase(harness.database.url);
    try {
      const insight = new InsightRepository(recording.db);
      const ask = (client: string) => ({ client, businessDate: '2026-04-02', hour: 9, timeZone: 'UTC', excludeRunId: 0, before: new Date('2026-04-02T10:00:00Z'), runs: 14, lookbackDays: 28 });
      const [north, south, none] = await Promise.all(['north', 'south', 'nobody'].map((client) => insight.sameHourHistory(ask(client))));
      expect(north?.map((counts) => counts.SPA)).toEqual([12, 11]);
      expect(south?.map((counts) => counts.SPA)).toEqual([21]);
      expect(none).toEqual([]);
      expect(recording.statements).toHaveLength(1);
    } finally {
      await recording.close();
    }
  });
});
