import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { openApp, startRoles, type AppContext } from '../../src/lifecycle/app.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { obliterateQueues, TEST_REDIS_URL, testPrefix } from '../support/redis.js';
import { ControlmSimulator } from '../support/sim-controlm.js';
import { SECRET_ENV } from './support.js';

const prefix = testPrefix();
let database: TestDatabase;
let simulator: ControlmSimulator;
let app: AppContext;

beforeAll(async () => {
  database = await createTestDatabase();
  simulator = await ControlmSimulator.start({ username: 'ops', password: SECRET_ENV.CTM_PASSWORD, usage: { ctm01: 42 } });
  const config = parseConfig(
    {
      sources: [{ name: 'SPA', type: 'controlm', endpoint: simulator.endpoint, auth: { username: 'ops', password: { env: 'CTM_PASSWORD' } } }],
      queue: { prefix },
    },
    { env: { ...SECRET_ENV, DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL } },
  );
  app = await openApp(config, pino({ level: 'silent' }), { migrate: false, redisRole: 'worker' });
});
afterAll(async () => {
  await obliterateQueues(prefix, app.connection);
  await app.close();
  await simulator.close();
  await database.drop();
});

describe('a Control-M session across the worker role', () => {
  it('is reused by the runs of a worker and logged out when the worker stops', async () => {
    const roles = await startRoles(app, ['worker']);
    for (let run = 0; run < 2; run++) {
      const queued = await app.producer.enqueueRun({ trigger: 'manual' });
      const finished = await waitForRunFinished(app.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
      expect(finished.status).toBe(RUN_STATUS.success);
    }
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(1);
    expect(simulator.loggedOut).toEqual([]);
    await roles.stop();
    expect(simulator.loggedOut).toEqual(['token-1']);
    expect(simulator.tokens.size).toBe(0);
  });
});
