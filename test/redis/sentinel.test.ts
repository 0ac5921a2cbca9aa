import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { redisAtUrl } from '../../src/config/redis.js';
import { ServiceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { readinessChecks } from '../../src/health/checks.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createRedis, probeRedis } from '../../src/queues/connection.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scratchDir, startSentinelGroup, type SentinelGroup } from '../support/redis-servers.js';
import { scriptedSource } from '../support/sources.js';
import { waitFor } from '../support/wait.js';

let scratch: Awaited<ReturnType<typeof scratchDir>>;
let group: SentinelGroup;
let harness: Harness;

beforeAll(async () => {
  scratch = await scratchDir('sentinel');
  group = await startSentinelGroup(scratch.dir);
  const config = parseConfig({ redis: { sentinel: { sentinels: [group.sentinel.address], name: group.name } } });
  harness = await createHarness({}, { connection: createRedis(config.redis, 'worker') });
  harness.startWorkers([scriptedSource('SPA', [100]), scriptedSource('UPCTM', [200])]);
}, 60_000);

afterAll(async () => {
  // The servers stop even when closing the harness fails: a leftover redis-server outlives the test.
  try {
    await harness.close();
  } finally {
    await group.stop();
    await scratch.remove();
  }
});

async function countRuns(runs: number): Promise<number[]> {
  const queued = await Promise.all(Array.from({ length: runs }, () => harness.producer.enqueueRun({ trigger: 'manual' })));
  const finished = await Promise.all(queued.map((run) => waitForRunFinished(harness.runs, run.name, { timeoutMs: 30_000, intervalMs: 50 })));
  return finished.map((run) => run.status);
}

describe('Redis Sentinel', () => {
  it('counts through the master the sentinel names, and keeps counting after a failover to the replica', async () => {
    expect(await countRuns(10)).toEqual(Array(10).fill(RUN_STATUS.success));
    const sentinel = group.sentinel.client();
    try {
      await sentinel.call('SENTINEL', 'FAILOVER', group.name);
      await waitFor('the replica to be promoted', async () => {
        const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', group.name)) as [string, string];
        return Number(port) === group.replica.port;
      }, 20_000, 100);
    } finally {
      sentinel.disconnect();
    }
    expect(await countRuns(10)).toEqual(Array(10).fill(RUN_STATUS.success));
    const [redis] = await readinessChecks({ connection: harness.connection, queuePrefix: harness.config.queue.prefix, database: harness.database });
    expect(redis?.ok).toBe(true);
  }, 60_000);

  it('explains a url at the sentinel itself, a url at a replica, and an unknown master name (after the failover test)', async () => {
    const prefix = harness.config.queue.prefix;
    const atSentinel = await probeRedis(redisAtUrl(group.sentinel.url, 'test'), prefix).catch((error: unknown) => error);
    expect(atSentinel).toBeInstanceOf(ServiceUnavailableError);
    expect((atSentinel as ServiceUnavailableError).hint).toMatch(/redis\.sentinel\.sentinels/);

    // After the failover above, the sentinel turns the first master into a replica.
    const former = group.master.client();
    try {
      await waitFor('the former master to be a replica', async () => /role:slave/.test(await former.info('replication')), 20_000, 100);
    } finally {
      former.disconnect();
    }
    const atReplica = await probeRedis(redisAtUrl(group.master.url, 'test'), prefix).catch((error: unknown) => error);
    expect((atReplica as ServiceUnavailableError).message).toMatch(/READONLY/);
    expect((atReplica as ServiceUnavailableError).hint).toMatch(/replica.*redis\.sentinel/);

    const unknownName = parseConfig({ redis: { sentinel: { sentinels: [group.sentinel.address], name: 'nosuchmaster' } } }).redis;
    const noMaster = await probeRedis(unknownName, prefix, 2000).catch((error: unknown) => error);
    expect(noMaster).toBeInstanceOf(ServiceUnavailableError);
    expect((noMaster as ServiceUnavailableError).hint).toMatch(/redis\.sentinel/);
  }, 30_000);
});
