import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { runJobtally, startJobtally } from '../support/cli.js';
import { obliterateQueues, testPrefix, testRedis, TEST_REDIS_URL } from '../support/redis.js';

const prefix = testPrefix();
const dir = mkdtempSync(path.join(tmpdir(), 'jt-embedded-'));
const env = { JOBTALLY_DATA_DIR: path.join(dir, 'data'), REDIS_URL: TEST_REDIS_URL, JOBTALLY_QUEUE_PREFIX: prefix };

afterAll(async () => {
  const connection = testRedis();
  await obliterateQueues(prefix, connection);
  connection.disconnect();
});

describe('first start with nothing configured (embedded PGlite, demo sources)', { timeout: 120_000 }, () => {
  it('migrates the embedded database in the data dir, counts at once, and says where the data lives', async () => {
    const service = startJobtally(['start', '--role', 'worker,scheduler', '--run-now'], { env, cwd: dir });
    try {
      await service.waitForOutput(/first count succeeded: Total [\d,]+ of limit 48,500/, 60_000);
      // The new 5-minute schedule fires at once: --run-now counts that tick instead of a second run.
      expect(service.output()).toMatch(/first count queued: run \d{14} \(the first tick of schedule every-5-minutes\)/);
      expect(service.output()).toContain(`embedded database in ${path.join(dir, 'data', 'pgdata')}`);
      expect(service.output()).toContain('built-in demo sources');
      // A second process on the same embedded database would corrupt it: it is refused, saying why.
      const beside = await runJobtally(['runs', 'list'], { env, cwd: dir });
      expect(beside.code).toBe(3);
      expect(beside.stderr).toContain(`embedded database at ${path.join(dir, 'data', 'pgdata')} is in use by jobtally process`);
      expect(beside.stderr).toMatch(/process \d+ \(start --role worker,scheduler --run-now\)/);
      expect(service.output()).toMatch(/schedules every-5-minutes/);
      // Retention is on by default: the scheduler role schedules it daily, the worker role runs it.
      const connection = testRedis();
      const maintenance = new Queue(QUEUE_NAMES.maintenance, { connection, prefix });
      try {
        expect(await maintenance.getJobSchedulers()).toEqual([expect.objectContaining({ key: 'retention', pattern: '0 3 * * *', tz: 'UTC' })]);
        expect(await maintenance.getWorkersCount()).toBe(1);
      } finally {
        await maintenance.close();
        connection.disconnect();
      }
    } finally {
      service.child.kill('SIGTERM');
    }
    expect((await service.exited).code).toBe(0);
    expect(existsSync(path.join(dir, 'data', 'pgdata', 'PG_VERSION'))).toBe(true);

    const list = await runJobtally(['runs', 'list', '--json'], { env, cwd: dir });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ status: 'success', trigger: 'schedule' })]);
  }, 120_000);
});
