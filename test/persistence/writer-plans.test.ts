import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/persistence/db.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { RunWriter } from '../../src/persistence/writer.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * The writer's statements are prepared once per connection and then run on a cached plan, made
 * when the tables may have been nearly empty (a fresh install, a bench). Where such a plan would
 * read a whole table, the cost of every write grows with the history: these tests force cached
 * plans made on empty tables, grow the tables, and count the rows the next writes read.
 */
let database: TestDatabase;
let runs: RunsRepository;
let writer: RunWriter;
let sequence = 0;

beforeAll(async () => {
  // One connection: the session setting and the prepared statements are the ones the writer uses.
  database = await createTestDatabase({ maxConnections: 1 });
  await database.db.execute(sql`set plan_cache_mode = force_generic_plan`);
  runs = new RunsRepository(database.db);
  writer = new RunWriter(database.db);
});
afterAll(async () => {
  await database.drop();
});

async function newRun(): Promise<number> {
  sequence++;
  const { run } = await runs.createRun({
    job: 'license-count',
    client: 'acme',
    parameters: {},
    trigger: 'manual',
    businessDate: '2026-11-25',
    firstLine: `run ${sequence}`,
    now: new Date(Date.UTC(2026, 10, 25, 9, 0, sequence)),
  });
  return run.id;
}

function countFor(source: string) {
  return { source, count: 5, breakdown: { byStatus: { 'Ended OK': 5 } }, metrics: { job_executions: 5 }, durationMs: 1, line: `${source} counted` };
}

/** Rows of `table` read by scans since the last call, from this session's flushed statistics. */
async function rowsReadBy(table: string, write: () => Promise<unknown>): Promise<number> {
  const read = async () => {
    await database.db.execute(sql`select pg_stat_force_next_flush()`);
    // The flush happens when the session goes idle, after this statement; the next one sees it.
    await database.db.execute(sql`select 1`);
    const [row] = await queryRows<{ read: string }>(database.db, sql`select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) as read from pg_stat_user_tables where relname = ${table}`);
    return Number(row?.read ?? 0);
  };
  const before = await read();
  await write();
  return (await read()) - before;
}

/** Other runs' history: job_logs rows with breakdowns and metrics, added after the plans were cached. */
async function growHistory(runCount: number): Promise<void> {
  await database.db.execute(sql`
    insert into job_logs (name, client, business_date, status)
    select '20200101000000_' || g, 'old', '2020-01-01', 3 from generate_series(1, ${runCount}::int) g`);
  await database.db.execute(sql`
    insert into run_metrics (job_log_id, source, metric, value)
    select id, s, 'm' || k, k from job_logs cross join (values ('SPA'), ('UPCTM')) sources(s) cross join generate_series(1, 5) k where client = 'old'`);
  await database.db.execute(sql`
    insert into count_breakdowns (job_log_id, source, dimension, key, count)
    select id, s, 'status', 'k' || k, k from job_logs cross join (values ('SPA'), ('UPCTM')) sources(s) cross join generate_series(1, 5) k where client = 'old'`);
}

describe('writer statements on plans cached while the tables were empty', () => {
  it('a first count reads no other run’s breakdowns or metrics, however many there are', async () => {
    // The plans cached are the worst a small table can get: scans of the whole table.
    await database.db.execute(sql`set enable_indexscan = off`);
    await database.db.execute(sql`set enable_bitmapscan = off`);
    for (let warm = 0; warm < 6; warm++) await writer.recordSourceCount(await newRun(), countFor('SPA'));
    await database.db.execute(sql`reset enable_indexscan`);
    await database.db.execute(sql`reset enable_bitmapscan`);
    await growHistory(2000);
    const run = await newRun();
    expect(await rowsReadBy('run_metrics', () => writer.recordSourceCount(run, countFor('SPA')))).toBe(0);
    expect(await rowsReadBy('count_breakdowns', () => writer.recordSourceCount(run, countFor('UPCTM')))).toBe(0);
  });

  it('a recount still replaces the source’s old breakdown and metrics', async () => {
    const run = await newRun();
    await writer.recordSourceCount(run, { ...countFor('SPA'), breakdown: { byStatus: { 'Ended OK': 4, 'Ended Not OK': 1 } }, metrics: { job_executions: 5, failed: 1 } });
    await writer.recordSourceCount(run, countFor('SPA'));
    const breakdown = await queryRows<{ key: string }>(database.db, sql`select key from count_breakdowns where job_log_id = ${run} order by key`);
    const metrics = await queryRows<{ metric: string }>(database.db, sql`select metric from run_metrics where job_log_id = ${run} order by metric`);
    expect(breakdown.map((row) => row.key)).toEqual(['Ended OK']);
    expect(metrics.map((row) => row.metric)).toEqual(['job_executions']);
  });

  it('a completion reads its own runs, not every pending run of a backlog', async () => {
    const completed = () => ({ total: 10, limit: 100, counts: { SPA: 5, UPCTM: 5 }, client: 'acme', businessDate: '2026-11-25', message: 'total 10', lines: [] });
    for (let warm = 0; warm < 6; warm++) {
      const id = await newRun();
      await writer.completeRun(id, completed());
    }
    await database.db.execute(sql`
      insert into job_logs (name, client, business_date)
      select '20210101000000_' || g, 'backlog', '2021-01-01' from generate_series(1, 3000) g`);
    const run = await newRun();
    expect(await rowsReadBy('job_logs', () => writer.completeRun(run, completed()))).toBeLessThan(10);
  });
});
