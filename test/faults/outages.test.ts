import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAtUrl } from '../../src/config/redis.js';
import { RunProducer } from '../../src/flow/producer.js';
import { queryRows } from '../../src/persistence/db.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createRedis } from '../../src/queues/connection.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { createQueueSet } from '../../src/queues/queues.js';
import { createHarness, type Harness } from '../support/harness.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { spawnJobtally, writeConfig, type JobtallyProcess } from './support/process.js';
import { freePort, startOwnRedis } from './support/redis-server.js';
import { record, writeSummary } from './support/results.js';
import { TcpProxy } from './support/tcp-proxy.js';

let harness: Harness;
let dir: string;
const processes: JobtallyProcess[] = [];

beforeAll(async () => {
  harness = await createHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-outages-'));
});
afterAll(async () => {
  for (const process of processes) process.child.kill('SIGKILL');
  await harness.close();
  await rm(dir, { recursive: true, force: true });
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
});

async function worker(name: string, env: Record<string, string>, extra: Record<string, unknown> = {}, roles = ['worker']): Promise<JobtallyProcess> {
  const config = await writeConfig(dir, `${name}.json`, {
    sources: [
      { name: 'SPA', type: 'static', count: 20_000, delayMs: 300 },
      { name: 'UPCTM', type: 'static', count: 28_000, delayMs: 300 },
    ],
    queue: { prefix: harness.config.queue.prefix, attempts: 6, backoffMs: 500, lockDurationMs: 5000, stalledIntervalMs: 2000 },
    schedules: [],
    ...extra,
  });
  const process = spawnJobtally(['start', '--role', ...roles, '--config', config], { DATABASE_URL: harness.database.url, REDIS_URL: TEST_REDIS_URL, ...env });
  processes.push(process);
  await process.waitForOutput(/"msg":"started"/, 60_000);
  return process;
}

async function finished(names: string[], timeoutMs: number): Promise<number[]> {
  return waitFor(`${names.length} runs to finish`, async () => {
    const statuses = await Promise.all(names.map(async (name) => (await harness.runs.findByName(name))?.status ?? -1));
    return statuses.every((status) => status >= RUN_STATUS.error) ? statuses : undefined;
  }, timeoutMs, 100);
}

describe('fault suite: outages', () => {
  it('2. Redis restarts mid-run: worker, scheduler and web reconnect by themselves, /readyz reports the outage, no run is lost', async () => {
    const redis = await startOwnRedis(dir);
    const metricsPort = await freePort();
    await worker('redis', { REDIS_URL: redis.url, JOBTALLY_WEB_PORT: String(metricsPort) }, {}, ['worker', 'scheduler', 'web']);
    const connection = createRedis(redisAtUrl(redis.url, 'test'), 'worker');
    connection.on('error', () => undefined);
    const queueSet = createQueueSet(connection, harness.config.queue.prefix, pino({ level: 'silent' }));
    const producer = new RunProducer({ config: harness.config, runs: harness.runs, writer: harness.writer, flows: queueSet.flows, logger: pino({ level: 'silent' }) });
    try {
      const before: string[] = [];
      for (let index = 0; index < 5; index++) before.push((await producer.enqueueRun({ trigger: 'manual' })).name);
      await redis.down();
      const ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
      expect(ready.status).toBe(503);
      expect(body.checks.find((check) => check.name === 'redis')?.ok).toBe(false);
      await redis.up();
      const upAt = performance.now();
      const after: string[] = [];
      for (let index = 0; index < 5; index++) after.push((await producer.enqueueRun({ trigger: 'manual' })).name);
      const statuses = await finished([...before, ...after], 60_000);
      const seconds = (performance.now() - upAt) / 1000;
      expect(statuses.every((status) => status === RUN_STATUS.success)).toBe(true);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/api/runs?limit=1`)).status).toBe(200);
      record('2. Redis restart (own redis-server, AOF)', `one process with worker, scheduler and web: /readyz 503 during the outage, 200 after; 10/10 runs success (5 queued before, 5 after), all done ${seconds.toFixed(1)} s after Redis came back, nothing restarted`);
    } finally {
      await queueSet.close();
      connection.disconnect();
      await redis.down();
    }
  });

  it('3. Postgres cut during writes: jobs retry with backoff, no partial rows, every run completes', async () => {
    const proxy = await TcpProxy.start(5432);
    const url = new URL(harness.database.url);
    url.port = String(proxy.port);
    const process = await worker('postgres', { DATABASE_URL: url.toString() });
    try {
      const mark = process.output().length;
      // Each fetch takes 300 ms, so the runs are in flight when the worker loses Postgres; their
      // results are stored through it (the run rows are created directly, by this process).
      proxy.cut();
      const cutAt = performance.now();
      const names: string[] = [];
      for (let index = 0; index < 10; index++) names.push((await harness.producer.enqueueRun({ trigger: 'manual' })).name);
      // Keep Postgres away until the worker has really hit the outage and scheduled retries.
      await waitFor('the worker to fail a write and retry', () => Promise.resolve(/will retry/.test(process.output().slice(mark)) || undefined), 30_000, 20);
      const downSeconds = (performance.now() - cutAt) / 1000;
      proxy.restore();
      const retries = (process.output().slice(mark).match(/will retry/g) ?? []).length;
      const statuses = await finished(names, 60_000).catch(async (error: unknown) => {
        const states = await Promise.all(names.map(async (name) => `${name}:${(await harness.runs.findByName(name))?.status ?? '?'}`));
        throw new Error(`${String(error)}\nstatuses ${states.join(' ')}\nworker output:\n${process.output().slice(-4000)}`);
      });
      expect(statuses.every((status) => status === RUN_STATUS.success)).toBe(true);
      const rows = await queryRows<{ totals: number; counts: number }>(
        harness.database.db,
        sql`select (select count(*)::int from totals t where t.job_log_id = j.id) as totals, (select count(*)::int from source_counts c where c.job_log_id = j.id) as counts
            from job_logs j where j.name in (${sql.join(names.map((name) => sql`${name}`), sql`, `)})`,
      );
      expect(rows.every((row) => row.totals === 1 && row.counts === 2)).toBe(true);
      record('3. Postgres cut during writes (TCP proxy)', `cut for ${downSeconds.toFixed(1)} s (${retries} retries of a result's write logged); 10/10 runs success after restore, each with exactly 1 totals row and 2 counts`);
    } finally {
      await proxy.close();
    }
  });

  it('3b. a scheduled tick during a Postgres outage retries until its run is stored: no scheduled count is lost', async () => {
    const proxy = await TcpProxy.start(5432);
    const url = new URL(harness.database.url);
    url.port = String(proxy.port);
    await worker('schedule-outage', { DATABASE_URL: url.toString() }, { schedules: [{ name: 'fast', every: '1s' }] }, ['scheduler', 'worker']);
    const ticks = harness.queueSet.queues[QUEUE_NAMES.schedule];
    try {
      await waitFor('a first scheduled run', async () => (await queryRows<{ n: number }>(harness.database.db, sql`select count(*)::int as n from job_logs where trigger = 'schedule'`))[0]?.n || undefined, 30_000, 100);
      proxy.cut();
      const failed = await waitFor('a tick to fail and wait for its retry', async () => (await ticks.getJobs(['delayed'])).find((job) => job.attemptsMade > 0), 30_000, 100);
      proxy.restore();
      const key = `schedule:fast:${failed.id ?? ''}`;
      const run = await waitFor('the retried tick to store its run', async () => (await queryRows<{ name: string }>(harness.database.db, sql`select name from job_logs where idempotency_key = ${key}`))[0], 60_000, 100);
      record('3b. scheduled tick during a Postgres outage', `tick ${failed.id ?? ''} failed ${failed.attemptsMade} time(s) while Postgres was cut, retried with backoff and stored run ${run.name} after the restore`);
    } finally {
      await ticks.removeJobScheduler('fast');
      await proxy.close();
    }
  });
});
