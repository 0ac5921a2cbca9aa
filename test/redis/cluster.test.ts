import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { redisAtUrl } from '../../src/config/redis.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { readinessChecks } from '../../src/health/checks.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createRedis, probeRedis } from '../../src/queues/connection.js';
import { runJobtally } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createHarness, type Harness } from '../support/harness.js';
import { testPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { scriptedSource } from '../support/sources.js';
import { scratchDir, slotOwners, startCluster, waitForClusterState, type LocalCluster } from '../support/redis-servers.js';

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let cluster: LocalCluster;
let harness: Harness;
let database: TestDatabase;

beforeAll(async () => {
  scratch = await scratchDir('cluster');
  cluster = await startCluster(scratch.dir);
  const config = parseConfig({ redis: { cluster: { nodes: [cluster.nodes[1]] } }, sources: [{ name: 'SPA', type: 'static', count: 1 }] });
  harness = await createHarness({}, { connection: createRedis(config.redis, 'worker') });
  harness.startWorkers([scriptedSource('SPA', [100]), scriptedSource('UPCTM', [200])]);
  database = await createTestDatabase();
}, 60_000);

afterAll(async () => {
  // The servers stop even when closing the harness fails: a leftover redis-server outlives the test.
  try {
    await harness.close();
  } finally {
    await database.drop();
    await cluster.stop();
    await scratch.remove();
  }
});

describe('Redis Cluster', () => {
  it('counts through a 3-master cluster given one node: flows keep parent and children in the prefix\'s slot', async () => {
    const queued = await Promise.all(Array.from({ length: 20 }, () => harness.producer.enqueueRun({ trigger: 'manual' })));
    const finished = await Promise.all(queued.map((run) => waitForRunFinished(harness.runs, run.name, { timeoutMs: 20_000, intervalMs: 50 })));
    expect(finished.map((run) => run.status)).toEqual(queued.map(() => RUN_STATUS.success));
    expect((await harness.runs.getDetail(queued[0]?.name ?? ''))?.total?.total).toBe(300);
    const checks = await readinessChecks({ connection: harness.connection, queuePrefix: harness.config.queue.prefix, database: harness.database });
    expect(checks[0]).toMatchObject({ name: 'redis', ok: true, detail: expect.stringMatching(/^cluster ok, write ok/) as unknown });
  });

  it('refuses at start a url pointing at a node that does not own the prefix\'s slot, saying to configure redis.cluster', async () => {
    const prefix = testPrefix();
    const { other, owner } = await slotOwners(cluster, `${prefix}:probe`);
    const error = await probeRedis(redisAtUrl(other.url, 'test'), prefix).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).message).toMatch(/not serving: MOVED \d+ /);
    expect((error as ServiceUnavailableError).hint).toMatch(/redis\.cluster\.nodes/);
    await expect(probeRedis(redisAtUrl(owner.url, 'test'), prefix)).resolves.toBeUndefined();
  });

  it('/readyz on such a url is not ready and says why', async () => {
    const { other } = await slotOwners(cluster, `${harness.config.queue.prefix}:probe`);
    const wrong = new Redis(other.url, { maxRetriesPerRequest: 1 });
    try {
      const [redis] = await readinessChecks({ connection: wrong, queuePrefix: harness.config.queue.prefix, database: harness.database, timeoutMs: 2000 });
      expect(redis).toMatchObject({ ok: false, detail: expect.stringMatching(/^MOVED/) as unknown, advice: expect.stringContaining('redis.cluster.nodes') as unknown });
    } finally {
      wrong.disconnect();
    }
  });

  it('`start --role worker,scheduler` on such a url exits 3 within seconds with the advice, instead of hanging', async () => {
    const prefix = testPrefix();
    const { other } = await slotOwners(cluster, `${prefix}:probe`);
    const started = Date.now();
    const result = await runJobtally(['start', '--role', 'worker,scheduler'], {
      env: { DATABASE_URL: database.url, REDIS_URL: other.url, JOBTALLY_QUEUE_PREFIX: prefix, JOBTALLY_DATA_DIR: scratch.dir },
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/MOVED/);
    expect(result.stderr).toMatch(/redis\.cluster\.nodes/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('reports CLUSTERDOWN while a master is lost, with what to check, and is ready again once it is back', async () => {
    const lost = cluster.masters[2];
    if (!lost) throw new Error('no third master');
    await lost.down('SIGKILL');
    await waitForClusterState(cluster.masters.slice(0, 2), 'fail');
    const [redis] = await readinessChecks({ connection: harness.connection, queuePrefix: harness.config.queue.prefix, database: harness.database, timeoutMs: 3000 });
    expect(redis).toMatchObject({ ok: false, detail: expect.stringMatching(/CLUSTERDOWN/) as unknown, advice: expect.stringContaining('--cluster check') as unknown });
    await lost.up();
    await waitForClusterState(cluster.masters, 'ok');
    await waitFor('ready again', async () => (await readinessChecks({ connection: harness.connection, queuePrefix: harness.config.queue.prefix, database: harness.database }))[0]?.ok, 15_000, 200);
  }, 45_000);
});
