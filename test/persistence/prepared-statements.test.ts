import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows } from '../../src/persistence/db.js';
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

describe('Postgres statements', () => {
  it('are prepared once per connection and reused: later calls skip the describe round trip and the parse', async () => {
    const runs = new RunsRepository(database.db);
    for (let call = 0; call < 3; call++) await runs.listRuns({ client: 'acme' }, { limit: 10 });
    const prepared = await queryRows<{ statement: string }>(database.db, sql`select statement from pg_prepared_statements`);
    const runList = prepared.filter((row) => row.statement.includes('left join totals on totals.job_log_id = job_logs.id'));
    expect(runList).toHaveLength(1);
  });

  it('run the per-run anomaly read on a cached plan, not planned again each time', async () => {
    const insight = new InsightRepository(database.db);
    const query = { client: 'acme', businessDate: '2026-11-25', hour: 9, timeZone: 'UTC', excludeRunId: 0, before: new Date(), runs: 14, lookbackDays: 28 };
    for (let call = 0; call < 10; call++) await insight.sameHourHistory({ ...query, excludeRunId: call });
    const [plans] = await queryRows<{ generic_plans: number; custom_plans: number }>(
      database.db,
      sql`select generic_plans::int, custom_plans::int from pg_prepared_statements where statement like '%recent.counts%'`,
    );
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
