import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/persistence/db.js';
import { purgeRuns, restoreArchive, type PurgeProgress } from '../../src/retention/archive.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** 10,000 in `npm test`; `PURGE_TEST_RUNS=100000` for the figure in the docs. */
const OLD_RUNS = Number(process.env.PURGE_TEST_RUNS ?? 10_000);
let database: TestDatabase;
let archiveDir: string;

/** Old finished runs, each with two details, one source count, one breakdown row, metrics and a total. */
async function seed(): Promise<void> {
  await database.db.execute(sql`
    insert into job_logs (name, client, status, trigger, business_date, created_at, finished_at)
    select '20250101000000_' || g, 'acme', case when g % 10 = 0 then 2 else 3 end, 'schedule', date '2025-01-01', timestamptz '2025-01-01' + g * interval '1 second', timestamptz '2025-01-01' + g * interval '1 second'
    from generate_series(1, ${OLD_RUNS}) g`);
  // One statement per call: every query is prepared, and a prepared statement holds one command.
  for (const statement of [
    sql`insert into job_log_details (job_log_id, level, message) select id, 'info', 'SPA: 20,000 job executions in 12 ms' from job_logs`,
    sql`insert into job_log_details (job_log_id, level, message) select id, 'info', 'Run succeeded' from job_logs`,
    sql`insert into source_counts (job_log_id, source, count, duration_ms) select id, 'SPA', 20000, 12 from job_logs`,
    sql`insert into count_breakdowns (job_log_id, source, dimension, key, count) select id, 'SPA', 'status', 'Ended OK', 20000 from job_logs`,
    sql`insert into run_metrics (job_log_id, source, metric, value) select id, 'SPA', 'failed', 3 from job_logs`,
    sql`insert into run_metrics (job_log_id, metric, rule, value) select id, 'failed', 'sum', 3 from job_logs where status = 3`,
    sql`insert into totals (job_log_id, client, business_date, total, "limit", counts, run_name) select id, 'acme', business_date, 20000, 48500, '{"SPA": 20000}', name from job_logs where status = 3`,
  ])
    await database.db.execute(statement);
  await database.db.execute(sql`
    insert into job_logs (name, client, status, trigger, business_date, created_at) values
      ('20250101000000_900001', 'acme', 1, 'schedule', '2025-01-01', '2025-01-01'),
      ('20261124000000', 'acme', 3, 'schedule', '2026-11-24', now())`);
}

async function count(table: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(database.db, sql`select count(*)::int as count from ${sql.identifier(table)}`);
  return row?.count ?? 0;
}

beforeAll(async () => {
  database = await createTestDatabase();
  archiveDir = await mkdtemp(path.join(tmpdir(), 'jobtally-archive-'));
  await seed();
}, 120_000);
afterAll(async () => {
  await database.drop();
  await rm(archiveDir, { recursive: true, force: true });
});

describe('purge and restore', () => {
  it('counts candidates in a dry run and changes nothing', async () => {
    const result = await purgeRuns(database.db, { olderThan: new Date('2026-01-01'), dryRun: true });
    expect(result).toMatchObject({ candidates: OLD_RUNS, deleted: 0 });
    expect(await count('job_logs')).toBe(OLD_RUNS + 2);
  });

  it(`archives, verifies and deletes ${OLD_RUNS.toLocaleString('en')} old finished runs in batches, keeping unfinished and recent ones`, async () => {
    const started = performance.now();
    const progress: PurgeProgress[] = [];
    const result = await purgeRuns(database.db, { olderThan: new Date('2026-01-01'), archiveDir, batchSize: 2000, onProgress: (step) => progress.push(step) });
    const seconds = (performance.now() - started) / 1000;
    console.info(`purged ${result.deleted} runs with archive in ${seconds.toFixed(1)} s`);
    expect(result).toMatchObject({ candidates: OLD_RUNS, archived: OLD_RUNS, deleted: OLD_RUNS });
    // Each phase counts up to every candidate, archiving first: an operator watching sees which.
    const phases = progress.map((step) => step.phase);
    expect(phases.indexOf('deleting')).toBeGreaterThan(phases.lastIndexOf('archiving'));
    for (const phase of ['archiving', 'deleting'] as const) {
      expect(progress.filter((step) => step.phase === phase).at(-1), phase).toEqual({ phase, done: OLD_RUNS, total: OLD_RUNS });
    }
    expect(await readdir(archiveDir)).toEqual([path.basename(result.archiveFile ?? '')]);
    expect((await queryRows<{ name: string }>(database.db, sql`select name from job_logs order by name`)).map((row) => row.name)).toEqual(['20250101000000_900001', '20261124000000']);
    for (const table of ['job_log_details', 'source_counts', 'count_breakdowns', 'run_metrics', 'totals']) expect(await count(table), table).toBe(0);
    const runs = new RunsRepository(database.db);
    expect(await runs.statusCounts('acme')).toEqual({ pending: 0, processing: 1, error: 0, success: 1 });
  }, 120_000);

  it('restores an archive with its children, and a second restore skips what exists', async () => {
    const [file] = await readdir(archiveDir);
    const started = performance.now();
    const result = await restoreArchive(database.db, path.join(archiveDir, file ?? ''));
    console.info(`restored ${result.restored} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(result).toEqual({ restored: OLD_RUNS, skipped: 0 });
    expect(await count('job_log_details')).toBe(2 * OLD_RUNS);
    expect(await count('count_breakdowns')).toBe(OLD_RUNS);
    expect(await count('run_metrics')).toBe(OLD_RUNS + (OLD_RUNS * 9) / 10);
    expect(await count('totals')).toBe((OLD_RUNS * 9) / 10);
    const runs = new RunsRepository(database.db);
    const detail = await runs.getDetail('20250101000000_7');
    expect(detail?.details.map((line) => line.message)).toEqual(['SPA: 20,000 job executions in 12 ms', 'Run succeeded']);
    expect(detail?.total?.total).toBe(20_000);
    // Job executions and fetch time come back with the source's count and the run's total.
    expect(detail?.metrics.map((row) => [row.source, row.metric, row.rule, row.value])).toEqual([
      [null, 'failed', 'sum', 3],
      [null, 'job_executions', 'sum', 20_000],
      ['SPA', 'failed', null, 3],
      ['SPA', 'fetch_duration_ms', null, 12],
      ['SPA', 'job_executions', null, 20_000],
    ]);
    expect(await restoreArchive(database.db, path.join(archiveDir, file ?? ''), 5000)).toEqual({ restored: 0, skipped: OLD_RUNS });
  }, 180_000);

  it('refuses a file that is not an archive', async () => {
    await expect(restoreArchive(database.db, path.join(archiveDir, 'missing.ndjson.gz'))).rejects.toThrow(/cannot read archive/);
  });
});
