import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { addDays, zonedInstant } from '../../src/insight/calendar.js';
import { openApp, startRoles, type AppContext, type RunningRoles } from '../../src/lifecycle/app.js';
import type { AlertEvent } from '../../src/notify/events.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { businessDateOf } from '../../src/runs/names.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { seedSuccessfulRuns, zoneAtNoon, type SeededRun } from '../support/insight.js';
import { obliterateQueues, TEST_REDIS_URL, testPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const HOUR = 3600;
const ZONE = zoneAtNoon();
const today = businessDateOf(new Date(), ZONE);
const prefix = testPrefix();
const events: AlertEvent[] = [];
let database: TestDatabase;
let app: AppContext;
let roles: RunningRoles;

function share(second: number): number {
  return Math.min(1, Math.max(0, (second - 6 * HOUR) / (12 * HOUR)));
}

beforeAll(async () => {
  database = await createTestDatabase();
  const seeded: SeededRun[] = [];
  // Two weeks of days reaching 20,000 by 18:00, counted every hour; today is twice as busy.
  for (let back = 14; back >= 0; back--) {
    const date = addDays(today, -back);
    for (let hour = 7; hour <= (back === 0 ? 11 : 23); hour++) {
      const total = Math.round((back === 0 ? 40_000 : 20_000) * share(hour * HOUR));
      seeded.push({ businessDate: date, at: zonedInstant(date, hour * HOUR, ZONE), counts: { SPA: Math.round(total / 2), UPCTM: total - Math.round(total / 2) }, limit: 30_000 });
    }
  }
  await seedSuccessfulRuns(database.db, seeded);
  const config = parseConfig(
    {
      limit: 30_000,
      timezone: ZONE,
      sources: [
        { name: 'SPA', type: 'static', count: 25_000 },
        { name: 'UPCTM', type: 'static', count: 1 },
      ],
      queue: { prefix },
      insight: { forecast: { checkEveryMs: 50 } },
    },
    { env: { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL } },
  );
  app = await openApp(config, pino({ level: 'silent' }), { migrate: false, redisRole: 'worker', alerts: { send: (event) => Promise.resolve(void events.push(event)) } });
  roles = await startRoles(app, ['worker', 'scheduler']);
});
afterAll(async () => {
  await roles.stop(true);
  await obliterateQueues(prefix, app.connection);
  await app.close();
  await database.drop();
});

describe('insight checks in the roles', () => {
  it('the scheduler role checks the forecast periodically and alerts before the breach', async () => {
    const breach = await waitFor('a forecast-breach alert', () => Promise.resolve(events.find((event) => event.kind === 'forecast-breach')));
    expect(breach).toMatchObject({ client: 'default', businessDate: today, total: 16_667, limit: 30_000, timeZone: ZONE });
    // 16,667 by 11:00, when earlier days had done 5/12 of their figure (give or take their rounding).
    expect(breach.kind === 'forecast-breach' ? Math.abs(breach.projected - 40_000) : Number.NaN).toBeLessThan(5);
  });

  it('the worker role checks every successful run for anomalies', async () => {
    const queued = await app.producer.enqueueRun({ trigger: 'manual' });
    const run = await waitForRunFinished(app.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(run.status).toBe(RUN_STATUS.success);
    const anomaly = await waitFor('an anomaly alert', () => Promise.resolve(events.find((event) => event.kind === 'anomaly')));
    expect(anomaly).toMatchObject({ runName: run.name, client: 'default' });
    const detail = await app.runs.getDetail(run.name);
    expect(detail?.details.filter((line) => line.level === 'warn').map((line) => line.source)).toEqual(['SPA', 'UPCTM']);
  });
});
