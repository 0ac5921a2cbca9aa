import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { queryRows } from '../../src/persistence/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/**
 * A fresh database migrated up to (not including) migration `tag`, with `setup` run on it; the
 * returned handle's migrate() then applies `tag` and the rest, as an upgrade would.
 */
async function databaseBefore(tag: string, setup: string): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate: false });
  const olderMigrations = mkdtempSync(path.join(tmpdir(), 'jobtally-migrations-'));
  cleanups.push(async () => {
    await database.drop();
    rmSync(olderMigrations, { recursive: true, force: true });
  });
  cpSync('drizzle', olderMigrations, { recursive: true });
  const journalPath = path.join(olderMigrations, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((entry) => entry.tag < tag);
  writeFileSync(journalPath, JSON.stringify(journal));
  const client = postgres(database.url, { max: 1, onnotice: () => undefined });
  try {
    await migrate(drizzle(client), { migrationsFolder: olderMigrations });
    await client.unsafe(setup);
  } finally {
    await client.end();
  }
  return database;
}

describe('migration 0012 (totals.run_name)', () => {
  it('fills the name of every existing total from its run before requiring it', async () => {
    const database = await databaseBefore(
      '0012',
      `insert into job_logs (name, status, business_date) values ('20251201080000', 3, '2025-12-01'), ('20251201080500', 3, '2025-12-01');
       insert into totals (job_log_id, client, business_date, total, "limit", counts) select id, 'default', business_date, 10, 48500, '{}' from job_logs`,
    );
    await database.migrate();
    const rows = await queryRows<{ name: string; run_name: string }>(database.db, sql`select j.name, t.run_name from totals t join job_logs j on j.id = t.job_log_id order by j.name`);
    expect(rows).toEqual([
      { name: '20251201080000', run_name: '20251201080000' },
      { name: '20251201080500', run_name: '20251201080500' },
    ]);
  });
});

describe('migrations 0013 (daily_figures) and 0014 (client scopes)', () => {
  it('gives every date that already has totals its figure per client, and none over all clients', async () => {
    const database = await databaseBefore(
      '0013',
      `insert into job_logs (name, client, status, business_date) values
         ('20251201080000', 'acme', 3, '2025-12-01'), ('20251201081000', 'acme', 3, '2025-12-01'),
         ('20251201082000', 'beta', 3, '2025-12-01'), ('20251202080000', 'acme', 3, '2025-12-02');
       insert into totals (job_log_id, client, business_date, total, "limit", counts, run_name, created_at)
         select id, client, business_date, id * 10, 48500, '{}', name, to_timestamp(left(name, 14), 'YYYYMMDDHH24MISS') from job_logs`,
    );
    await database.migrate();
    const rows = await queryRows<{ client: string; business_date: string; run_name: string; total: number }>(
      database.db,
      sql`select client, business_date::text, run_name, total::float8 as total from daily_figures order by client, business_date`,
    );
    expect(rows).toEqual([
      { client: 'acme', business_date: '2025-12-01', run_name: '20251201081000', total: 20 },
      { client: 'acme', business_date: '2025-12-02', run_name: '20251202080000', total: 40 },
      { client: 'beta', business_date: '2025-12-01', run_name: '20251201082000', total: 30 },
    ]);
  });
});
