import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Database } from '../../src/persistence/db.js';
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

function completedWith(...sources: ReturnType<typeof countFor>[]) {
  return { total: 5 * sources.length, limit: 100, counts: Object.fromEntries(sources.map(({ source }) => [source, 5])), client: 'acme', businessDate: '2026-11-25', message: 'total', lines: [], sources };
}

function countFor(source: string) {
  return { source, count: 5, breakdown: { byStatus: { 'Ended OK': 5 } }, metrics: { job_executions: 5 }, durationMs: 1, line: `${source} counted` };
}

/** Rows of `table` read by scans during `write`, from the statistics `db`'s session flushed. */
async function rowsReadBy(table: string, write: () => Promise<unknown>, db: Database = database.db): Promise<number> {
  const read = async () => {
    await db.execute(sql`select pg_stat_force_next_flush()`);
    // The flush happens when the session goes idle, after this statement; the next one sees it.
    await db.execute(sql`select 1`);
    const [row] = await queryRows<{ read: string }>(db, sql`select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) as read from pg_stat_user_tables where relname = ${table}`);
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
    insert into source_counts (job_log_id, source, count, duration_ms)
    select id, s, 5, 1 from job_logs cross join (values ('SPA'), ('UPCTM')) sources(s) where client = 'old'`);
  await database.db.execute(sql`
    insert into count_breakdowns (job_log_id, source, dimension, key, count)
    select id, s, 'status', 'k' || k, k from job_logs cross join (values ('SPA'), ('UPCTM')) sources(s) cross join generate_series(1, 5) k where client = 'old'`);
}

describe('writer statements on plans cached while the tables were empty', () => {
  it('a completion with its counts reads no other run’s counts, breakdowns or metrics, however many there are', async () => {
    // A connection of its own: the plans it caches are the worst a small table can get (scans of
    // the whole table), which must not serve the other tests' statements.
    const own = await openDatabase({ url: database.url, dataDir: '/nonexistent', maxConnections: 1 });
    try {
      await own.db.execute(sql`set plan_cache_mode = force_generic_plan`);
      const ownWriter = new RunWriter(own.db);
      await own.db.execute(sql`set enable_indexscan = off`);
      await own.db.execute(sql`set enable_bitmapscan = off`);
      for (let warm = 0; warm < 6; warm++) await ownWriter.completeRun(await newRun(), completedWith(countFor('SPA')));
      await own.db.execute(sql`reset enable_indexscan`);
      await own.db.execute(sql`reset enable_bitmapscan`);
      await growHistory(2000);
      for (const table of ['source_counts', 'count_breakdowns', 'run_metrics']) {
        const run = await newRun();
        expect(await rowsReadBy(table, () => ownWriter.completeRun(run, completedWith(countFor('SPA'), countFor('UPCTM'))), own.db), table).toBe(0);
      }
    } finally {
      await own.close();
    }
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
