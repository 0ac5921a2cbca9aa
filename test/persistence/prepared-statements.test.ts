import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Database } from '../../src/persistence/db.js';
import { InsightRepository } from '../../src/persistence/insight-repository.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ maxConnections: 1 });
});
afterAll(async () => {
  await database.drop();
});

const RUN_LIST = '%left join totals on totals.job_log_id = job_logs.id%';

/** This connection's prepared statements whose text is like `pattern`, leaving out these look-ups (prepared too). */
function preparedLike(db: Database, pattern: string) {
  return queryRows<{ statement: string; generic_plans: number; custom_plans: number }>(
    db,
    sql`select statement, generic_plans::int, custom_plans::int from pg_prepared_statements where statement like ${pattern} and statement not like '%pg_prepared_statements%'`,
  );
}

describe('Postgres statements', () => {
  it('are prepared once per connection and reused: later calls skip the describe round trip and the parse', async () => {
    const runs = new RunsRepository(database.db);
    for (let call = 0; call < 3; call++) await runs.listRuns({ client: 'acme' }, { limit: 10 });
    expect(await preparedLike(database.db, RUN_LIST)).toHaveLength(1);
  });

  it('are prepared also without parameters (postgres.js would send those as simple queries)', async () => {
    const runs = new RunsRepository(database.db);
    for (let call = 0; call < 3; call++) await runs.statusCounts();
    expect(await preparedLike(database.db, '%run_status_counts%')).toHaveLength(1);
  });

  it('run the unfiltered run list on a cached plan, not planned again each time', async () => {
    // Enough runs that a plan made for an unknown limit (a tenth of the table) loses to one made per call.
    await database.db.execute(sql`
      insert into job_logs (name, business_date, created_at)
      select '20300101000000_' || g, '2030-01-01', timestamptz '2030-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 20000) g`);
    await database.db.execute(sql`analyze job_logs`);
    const runs = new RunsRepository(database.db);
    for (let call = 0; call < 10; call++) await runs.listRuns({}, { limit: 50 });
    const [unfiltered] = (await preparedLike(database.db, RUN_LIST)).filter((plan) => !plan.statement.includes('where'));
    expect(unfiltered?.generic_plans).toBeGreaterThanOrEqual(4);
  });

  it('run the per-run anomaly read on a cached plan, not planned again each time', async () => {
    const insight = new InsightRepository(database.db);
    const query = { client: 'acme', businessDate: '2026-11-25', hour: 9, timeZone: 'UTC', excludeRunId: 0, before: new Date(), runs: 14, lookbackDays: 28 };
    for (let call = 0; call < 10; call++) await insight.sameHourHistory({ ...query, excludeRunId: call });
    const [plans] = await preparedLike(database.db, '%recent.counts%');
    expect(plans?.generic_plans).toBeGreaterThanOrEqual(4);
  });

  it('are not prepared when the URL says prepare=false (PgBouncer in transaction mode)', async () => {
    const unprepared = await openDatabase({ url: `${database.url}?prepare=false`, dataDir: '/nonexistent', maxConnections: 1 });
    try {
      const runs = new RunsRepository(unprepared.db);
      for (let call = 0; call < 3; call++) await runs.listRuns({ client: 'acme' }, { limit: 10 });
      const prepared = await queryRows<{ statement: string }>(unprepared.db, sql`select statement from pg_prepared_statements`);
      expect(prepared).toEqual([]);
    } finally {
      await unprepared.close();
    }
  });
});
