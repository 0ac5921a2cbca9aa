import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { addDays, zonedInstant } from '../../src/insight/calendar.js';
import { checkForecasts, forecastToday, type ForecastSettings } from '../../src/monitor/forecast-check.js';
import type { AlertEvent } from '../../src/notify/events.js';
import { QueueAlertSink } from '../../src/notify/queue-sink.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { createHarness, type Harness } from '../support/harness.js';
import { seedSuccessfulRuns, type SeededRun } from '../support/insight.js';

const PARIS = 'Europe/Paris';
const TODAY = '2026-03-30';
const HOUR = 3600;
let harness: Harness;
const settings = (overrides: Partial<ForecastSettings['forecast']> = {}): ForecastSettings => ({
  newDayTime: '00:00',
  limit: 48_500,
  timezone: PARIS,
  forecast: { enabled: true, historyDays: 14, checkEveryMs: 60_000, minFraction: 0.05, minLinearMs: 2 * 3_600_000, ...overrides },
});

/** An office day in Paris: 10% by 08:00, 50% by noon, 80% by 15:00, all by 18:00. */
function officeDay(client: string, date: string, final: number, until = 24 * HOUR): SeededRun[] {
  const shape: [number, number][] = [
    [8 * HOUR, 0.1],
    [12 * HOUR, 0.5],
    [15 * HOUR, 0.8],
    [18 * HOUR, 1],
  ];
  return shape
    .filter(([second]) => second <= until)
    .map(([second, share]) => {
      const total = Math.round(final * share);
      return { client, businessDate: date, at: zonedInstant(date, second, PARIS), counts: { SPA: Math.round(total / 2), UPCTM: total - Math.round(total / 2) } };
    });
}

/** A night-shift day with New Day at 06:00: 10% by 07:00, 50% by 20:00, 80% by 02:00 and all by 05:00 the next calendar day. */
function nightShift(date: string, final: number, until = 30 * HOUR): SeededRun[] {
  const shape: [number, number][] = [
    [7 * HOUR, 0.1],
    [20 * HOUR, 0.5],
    [26 * HOUR, 0.8],
    [29 * HOUR, 1],
  ];
  return shape
    .filter(([second]) => second <= until)
    .map(([second, share]) => ({ client: 'night', businessDate: date, at: zonedInstant(date, second, PARIS), counts: { SPA: Math.round(final * share) } }));
}

beforeAll(async () => {
  harness = await createHarness({ timezone: PARIS });
  // Two weeks of office days (the last one across the DST change of 2026-03-29), then today so far.
  const history = Array.from({ length: 14 }, (_, index) => addDays(TODAY, -(index + 1)));
  await seedSuccessfulRuns(harness.database.db, [
    ...history.flatMap((date) => officeDay('hot', date, 40_000)),
    ...officeDay('hot', TODAY, 60_000, 12 * HOUR),
    ...history.flatMap((date) => officeDay('calm', date, 40_000)),
    ...officeDay('calm', TODAY, 40_000, 12 * HOUR),
  ]);
  await seedSuccessfulRuns(harness.database.db, [...history.flatMap((date) => nightShift(date, 40_000)), ...nightShift(TODAY, 60_000, 21 * HOUR)]);
  // A client with runs but none today.
  await seedSuccessfulRuns(harness.database.db, officeDay('idle', addDays(TODAY, -1), 40_000));
});
afterAll(async () => {
  await harness.close();
});

const noon = zonedInstant(TODAY, 12 * HOUR + 300, PARIS);

describe('forecast', () => {
  it('projects today from the usual curve and tells when the limit would be crossed', async () => {
    const { businessDate, forecast, crossingAt } = await forecastToday(harness.insight, 'hot', settings(), noon);
    expect(businessDate).toBe(TODAY);
    expect(forecast).toMatchObject({ method: 'curve', total: 30_000, projected: 60_000, fraction: 0.5, days: 14 });
    // 48,500 of a 60,000 day following 80% at 15:00 → 100% at 18:00: 15:07:30 in Paris, 13:07:30 UTC.
    expect(crossingAt?.toISOString()).toBe('2026-03-30T13:07:30.000Z');
  });

  it('has no crossing for a client on its usual course, and nothing to project for one with no run today', async () => {
    expect(await forecastToday(harness.insight, 'calm', settings(), noon)).toMatchObject({ forecast: { projected: 40_000, crossingSecond: null }, crossingAt: null });
    expect(await forecastToday(harness.insight, 'idle', settings(), noon)).toMatchObject({ forecast: { method: 'none', projected: null } });
  });

  it('follows the Control-M day from New Day to New Day: after midnight it is still the same business date', async () => {
    const oneAm = zonedInstant(TODAY, 25 * HOUR, PARIS);
    const { businessDate, forecast, crossingAt, countedAtSecond } = await forecastToday(harness.insight, 'night', { ...settings(), newDayTime: '06:00' }, oneAm);
    expect(businessDate).toBe(TODAY);
    expect(forecast).toMatchObject({ method: 'curve', total: 30_000, projected: 60_000, days: 14 });
    expect(countedAtSecond).toBe(20 * HOUR);
    // 48,500 of a 60,000 day: the median curve holds 80% from 02:00 on (the night clocks went forward,
    // 2026-03-28's 02:00 count happened at 03:00, so 03:00 is a point of the curve too), all at 05:00:
    // 48,000 until 03:00, then 500 of the 12,000 left in two hours → 03:05 in Paris the next calendar day.
    expect(crossingAt?.toISOString()).toBe('2026-03-31T01:05:00.000Z');
  });

  it('learns from fewer days when asked to', async () => {
    const { forecast } = await forecastToday(harness.insight, 'hot', settings({ historyDays: 1 }), noon);
    expect(forecast).toMatchObject({ method: 'curve', days: 1, projected: 60_000 });
  });
});

describe('forecast-breach alerts', () => {
  it('alerts for the client heading over the limit, before it is reached', async () => {
    const events: AlertEvent[] = [];
    const heading = await checkForecasts({ runs: harness.runs, insight: harness.insight, alerts: { send: (event) => Promise.resolve(void events.push(event)) }, logger: harness.logger, settings: settings(), now: () => noon });
    expect(heading).toEqual(['hot']);
    expect(events).toEqual([
      {
        kind: 'forecast-breach',
        client: 'hot',
        businessDate: TODAY,
        total: 30_000,
        projected: 60_000,
        limit: 48_500,
        crossingAt: '2026-03-30T13:07:30.000Z',
        timeZone: PARIS,
        basis: 'by this time, the last 14 days had reached a median 50.0% of their final figure',
      },
    ]);
  });

  it('is delivered once per client and business date on each channel, however often the check runs', async () => {
    const alerts = { ...harness.config.alerts, channels: [{ name: 'ops', type: 'webhook' as const, url: new Secret('http://127.0.0.1:9/none', 'test'), hmacSecret: undefined }] };
    const queue = harness.queueSet.queues[QUEUE_NAMES.alert];
    const sink = new QueueAlertSink(queue, alerts, harness.logger);
    const deps = { runs: harness.runs, insight: harness.insight, alerts: sink, logger: harness.logger, settings: settings() };
    await checkForecasts({ ...deps, now: () => noon });
    await checkForecasts({ ...deps, now: () => new Date(noon.getTime() + 60_000) });
    await checkForecasts({ ...deps, now: () => new Date(noon.getTime() + 120_000) });
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    expect(jobs.map((job) => job.id)).toEqual([`alert.forecast-breach.hot.${TODAY}.ops`]);
  });

  it('says nothing once nobody is heading over', async () => {
    const events: AlertEvent[] = [];
    const heading = await checkForecasts({ runs: harness.runs, insight: harness.insight, alerts: { send: (event) => Promise.resolve(void events.push(event)) }, logger: harness.logger, settings: { ...settings(), limit: 100_000 }, now: () => noon });
    expect(heading).toEqual([]);
    expect(events).toEqual([]);
  });
});
