import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { parseConfig } from '../../src/config/load.js';
import { warmUpRoles } from '../../src/lifecycle/app.js';
import { queryRows } from '../../src/persistence/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const POOL = 4;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ maxConnections: POOL });
});
afterAll(async () => {
  await database.drop();
});

describe('warming up a role’s connections', () => {
  it('runs the work once on each connection of the pool', async () => {
    const backends: number[] = [];
    await database.warmUp(async (db) => {
      const [row] = await queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid`);
      backends.push(Number(row?.pid));
    });
    expect(new Set(backends).size).toBe(POOL);
  });

  it('prepares the run creation, the result and the history read on every connection, and writes nothing', async () => {
    const config = parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }] });
    await warmUpRoles(database, config, ['worker', 'web']);
    const prepared: string[][] = [];
    await database.warmUp(async (db) => {
      const rows = await queryRows<{ statement: string }>(db, sql`select statement from pg_prepared_statements`);
      prepared.push(rows.map((row) => row.statement));
    });
    for (const statements of prepared) {
      for (const part of ['insert into job_logs', 'insert into totals', 'from totals t']) expect(statements.some((text) => text.includes(part)), part).toBe(true);
    }
    const [written] = await queryRows<{ rows: number }>(
      database.db,
      sql`select (select count(*) from job_logs) + (select count(*) from run_name_counters) + (select count(*) from run_status_counts) + (select count(*) from daily_figures) as rows`,
    );
    expect(Number(written?.rows)).toBe(0);
  });
});
