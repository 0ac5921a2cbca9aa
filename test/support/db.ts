import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../src/persistence/db.js';

/** Base URL of the local test Postgres; each test file gets a database of its own on it. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends DatabaseHandle {
  url: string;
  name: string;
  /** Closes the handle and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean; maxConnections?: number } = {}): Promise<TestDatabase> {
  const name = `jt_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(TEST_POSTGRES_URL, name);
  const handle = await openDatabase({ url, dataDir: '/nonexistent', maxConnections: options.maxConnections ?? 10 });
  if (options.migrate ?? true) await handle.migrate();
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      const cleanup = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => undefined });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
