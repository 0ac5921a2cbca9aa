import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobtally } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { obliterateQueues, testPrefix, testRedis, TEST_REDIS_URL } from '../support/redis.js';
import { scratchDir } from '../support/redis-servers.js';

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let database: TestDatabase;
const prefix = testPrefix();

beforeAll(async () => {
  scratch = await scratchDir('start-failure');
  database = await createTestDatabase();
});
afterAll(async () => {
  const connection = testRedis();
  await obliterateQueues(prefix, connection);
  connection.disconnect();
  await database.drop();
  await scratch.remove();
});

describe('start', () => {
  it('exits non-zero within seconds when a role fails to start after another started, rather than hang half-started', async () => {
    // The worker role starts first; the scheduler role then fails on a cron BullMQ refuses.
    const config = { sources: [{ name: 'SPA', type: 'static', count: 1 }], schedules: [{ name: 'broken', cron: 'not a cron' }] };
    await writeFile(path.join(scratch.dir, 'jobtally.config.json'), JSON.stringify(config));
    const started = Date.now();
    const result = await runJobtally(['start', '--role', 'worker,scheduler'], {
      cwd: scratch.dir,
      env: { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, JOBTALLY_QUEUE_PREFIX: prefix, JOBTALLY_DATA_DIR: scratch.dir },
      timeoutMs: 40_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Invalid characters/);
    // Most of this is starting Node with tsx on a busy machine; a hang would hit the timeout.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 45_000);
});
