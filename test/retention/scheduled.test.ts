import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { queryRows } from '../../src/persistence/db.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { RETENTION_JOB, startRetentionWorker, syncRetentionSchedule, type RetentionOutcome } from '../../src/retention/job.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import type { WorkerGroup } from '../../src/flow/workers.js';
import { createHarness, type Harness } from '../support/harness.js';
import { testRedis } from '../support/redis.js';

const OLD_RUNS = 500;
let harness: Harness;
let dataDir: string;
let worker: WorkerGroup;
let events: QueueEvents;
let metrics: Metrics;
const logLines: Record<string, unknown>[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });

/** Resolves with the next job of the maintenance queue to complete, or rejects after `ms`. */
function nextCompleted(ms = 20_000): Promise<{ jobId: string; result: RetentionOutcome }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no retention job completed within ${ms} ms`)), ms);
    events.once('completed', ({ jobId, returnvalue }) => {
      clearTimeout(timer);
      resolve({ jobId, result: returnvalue as unknown as RetentionOutcome });
    });
  });
}

beforeAll(async () => {
  harness = await createHarness();
  dataDir = await mkdtemp(path.join(tmpdir(), 'jobtally-retention-'));
  // Old finished runs with their children, an old unfinished run, and a recent finished run.
  await harness.database.db.execute(sql`
    insert into job_logs (name, client, status, trigger, business_date, created_at, finished_at)
    select '20250101000000_' || g, 'acme', 3, 'schedule', date '2025-01-01', now() - interval '200 days', now() - interval '200 days'
    from generate_series(1, ${OLD_RUNS}) g`);
  // One statement per call: every query is prepared, and a prepared statement holds one command.
  for (const statement of [
    sql`insert into job_log_details (job_log_id, level, message) select id, 'info', 'Run succeeded' from job_logs`,
    sql`insert into run_metrics (job_log_id, source, metric, value) select id, 'SPA', 'job_executions', 10 from job_logs`,
    sql`insert into totals (job_log_id, client, business_date, total, "limit", counts, run_name) select id, 'acme', business_date, 10, 48500, '{"SPA": 10}', name from job_logs`,
  ])
    await harness.database.db.execute(statement);
  await harness.database.db.execute(sql`
    insert into job_logs (name, client, status, trigger, business_date, created_at) values
      ('20250101000000_900001', 'acme', 1, 'schedule', '2025-01-01', now() - interval '200 days'),
      ('20261124000000', 'acme', 3, 'schedule', '2026-11-24', now() - interval '2 days')`);
  metrics = new Metrics({ queues: Object.values(harness.queueSet.queues), runs: harness.runs });
  worker = startRetentionWorker(
    { connection: harness.connection, prefix: harness.config.queue.prefix, logger },
    { db: harness.database.db, dataDir, logger, onFinished: metrics.onRetentionFinished },
  );
  events = new QueueEvents(QUEUE_NAMES.maintenance, { connection: testRedis(), prefix: harness.config.queue.prefix });
  await events.waitUntilReady();
}, 60_000);
afterAll(async () => {
  await events.close();
  await worker.close(true);
  await harness.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('retention as a scheduled job', () => {
  it('fires on its schedule, archives and deletes old finished runs, keeps the rest, and reports what it did', async () => {
    const config = parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }], retention: { olderThan: '30d', schedule: '* * * * * *' } });
    const queue = harness.queueSet.queues[QUEUE_NAMES.maintenance];
    const firstRun = nextCompleted();
    await syncRetentionSchedule(queue, config.retention, logger);
    const { jobId, result: completed } = await firstRun;
    await syncRetentionSchedule(queue, { ...config.retention, enabled: false }, logger);

    expect(completed).toMatchObject({ candidates: OLD_RUNS, archived: OLD_RUNS, deleted: OLD_RUNS });
    expect(completed?.archiveFile).toMatch(new RegExp(`^${dataDir}/archive/jobtally-runs-before-.*\\.ndjson\\.gz$`));
    expect(existsSync(completed?.archiveFile ?? '')).toBe(true);
    const names = await queryRows<{ name: string }>(harness.database.db, sql`select name from job_logs order by name`);
    expect(names.map((row) => row.name)).toEqual(['20250101000000_900001', '20261124000000']);
    const [orphans] = await queryRows<{ count: number }>(harness.database.db, sql`select (select count(*) from run_metrics) + (select count(*) from totals) + (select count(*) from job_log_details where job_log_id not in (select id from job_logs)) as count`);
    expect(Number(orphans?.count)).toBe(0);

    // Ops see it: one structured log line, Prometheus metrics, and the job's result in Bull Board.
    const line = logLines.find((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('retention: purged'));
    expect(line).toMatchObject({ job: RETENTION_JOB, deleted: OLD_RUNS, archived: OLD_RUNS, msg: expect.stringMatching(/^retention: purged 500 of 500 finished runs created before /) as unknown });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`jobtally_retention_runs_deleted_total ${OLD_RUNS}`));
    expect(text).toMatch(/jobtally_retention_last_run_timestamp_seconds\{outcome="success"\} \d/);
    expect((await queue.getJob(jobId))?.returnvalue).toMatchObject({ deleted: OLD_RUNS });
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  it('fails at once, without retrying, on job data it cannot use, and says so', async () => {
    const queue = harness.queueSet.queues[QUEUE_NAMES.maintenance];
    const job = await queue.add(RETENTION_JOB, { olderThanMs: 'ninety days', archive: true }, { attempts: 3 });
    await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid parameters for retention\n {2}olderThanMs: /);
    expect((await queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
    expect(await metrics.registry.metrics()).toMatch(/jobtally_retention_last_run_timestamp_seconds\{outcome="error"\} \d/);
  });
});
