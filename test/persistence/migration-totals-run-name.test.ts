import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { queryRows } from '../../src/persistence/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
let olderMigrations: string;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  olderMigrations = mkdtempSync(path.join(tmpdir(), 'jobtally-migrations-'));
  cpSync('drizzle', olderMigrations, { recursive: true });
  const journalPath = path.join(olderMigrations, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((entry) => entry.tag < '0012');
  writeFileSync(journalPath, JSON.stringify(journal));
});
afterAll(async () => {
  await database.drop();
  rmSync(olderMigrations, { recursive: true, force: true });
});

describe('migration 0012 (totals.run_name)', () => {
  it('fills the name of every existing total from its run before requiring it', async () => {
    const client = postgres(database.url, { max: 1, onnotice: () => undefined });
    try {
      await migrate(drizzle(client), { migrationsFolder: olderMigrations });
      await client.unsafe(`
        insert into job_logs (name, status, business_date) values ('20251201080000', 3, '2025-12-01'), ('20251201080500', 3, '2025-12-01');
        insert into totals (job_log_id, client, business_date, total, "limit", counts) select id, 'default', business_date, 10, 48500, '{}' from job_logs`);
    } finally {
      await client.end();
    }
    await database.migrate();
    const rows = await queryRows<{ name: string; run_name: string }>(database.db, sql`select j.name, t.run_name from totals t join job_logs j on j.id = t.job_log_id order by j.name`);
    expect(rows).toEqual([
      { name: '20251201080000', run_name: '20251201080000' },
      { name: '20251201080500', run_name: '20251201080500' },
    ]);
  });
});
