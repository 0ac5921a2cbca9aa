import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { redactUrl, type Secret } from '../config/secret.js';
import { ServiceUnavailableError } from '../errors.js';
import { dataDirLayout } from '../config/data-dir.js';
import { lockEmbeddedDatabase } from './embedded-lock.js';
import { schema } from './schema.js';
import type { ParameterOrJSON, Sql, UnsafeQueryOptions } from 'postgres';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, without credentials. */
  location: string;
  migrate(): Promise<void>;
  /** Migrations in `drizzle/` not yet applied to this database. */
  pendingMigrations(): Promise<number>;
  ping(): Promise<void>;
  /**
   * Runs `work` once on each connection of the pool, opening them all: a new database backend
   * pays for loading the schema, planning each statement and compiling the triggers on its first
   * statements (20 ms for a run's creation here, 13 ms for its result), which a long-running
   * role pays here, at start, rather than in its first runs.
   */
  warmUp(work: (db: Database) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Postgres URL; without it, an embedded PGlite database lives in `dataDir/pgdata`. */
  url?: Secret | string | undefined;
  dataDir: string;
  /** Pool size for Postgres. */
  maxConnections?: number;
  /** `transaction`: `url` is a transaction-mode pooler (unnamed statements, no session state). */
  pooler?: 'none' | 'transaction';
  /** Where migrations run, when not over `url` (a direct connection behind a pooler). */
  migrationUrl?: Secret | string | undefined;
}

const MIGRATION_LOCK_ID = 7_317_001;

export const MIGRATIONS_FOLDER = path.join(packageRoot(), 'drizzle');

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const url = reveal(options.url);
  const handle = url
    ? await openPostgres(url, { maxConnections: options.maxConnections ?? 10, pooled: options.pooler === 'transaction', migrationUrl: reveal(options.migrationUrl) ?? url })
    : await openPglite(options.dataDir);
  try {
    await handle.ping();
  } catch (error) {
    // Closing releases the embedded database's lock; the ping's error is the one worth reporting.
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

function reveal(url: Secret | string | undefined): string | undefined {
  return typeof url === 'string' ? url : url?.reveal();
}

/** Rows of a raw `db.execute()`, whichever driver answered. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return (result as { rows?: T[] }).rows ?? [];
}

export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

async function openPostgres(url: string, options: { maxConnections: number; pooled: boolean; migrationUrl: string }): Promise<DatabaseHandle> {
  const { maxConnections } = options;
  // `?prepare=false` on the URL, the older way to say the same, still counts.
  const pooled = options.pooled || urlSaysUnprepared(url);
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const location = redactUrl(url, 'database');
  // fetch_types off: postgres.js otherwise asks pg_catalog about array types on each new connection,
  // and a connection lost during that query left a rejection nobody handled, which killed the
  // process. Every structured value here travels as jsonb, so array types are never needed.
  // Behind a transaction pooler a named statement prepared on one backend is unknown to the next.
  const clientOptions = { max: maxConnections, onnotice: () => undefined, connect_timeout: 10, fetch_types: false, prepare: !pooled } as const;
  const client = postgres(url, clientOptions);
  const databaseOver = (connection: Sql) => drizzle(pooled ? connection : withPreparedStatements(connection), { schema }) as unknown as Database;
  const db = databaseOver(client);
  return {
    db,
    kind: 'postgres',
    location,
    async migrate() {
      const migrator = postgres(options.migrationUrl, { ...clientOptions, max: 1, prepare: false });
      try {
        await migrateInOneTransaction(migrator);
      } finally {
        await migrator.end({ timeout: 5 });
      }
    },
    pendingMigrations: () => countPendingMigrations(db),
    ping: () => pingDatabase(db, `Postgres at ${location}`, 'start Postgres or fix DATABASE_URL'),
    async warmUp(work) {
      // Through a transaction pooler there is no connection of ours to warm: backends are shared.
      if (pooled) return work(db);
      // Queries sent at once open the pool's connections (postgres.js reserves only open ones
      // reliably); then each open connection is reserved, each a different one.
      const backends = await Promise.all(Array.from({ length: maxConnections }, () => client`select pg_backend_pid() as pid`));
      const opened = new Set(backends.map(([row]) => String(row?.pid))).size;
      const connections = await Promise.all(Array.from({ length: opened }, () => client.reserve()));
      try {
        // A reserved connection's client carries no options; drizzle reads the pool's type parsers there.
        await Promise.all(connections.map((connection) => work(databaseOver(Object.assign(connection, { options: client.options })))));
      } finally {
        for (const connection of connections) connection.release();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * drizzle's migrations, in one transaction that holds a transaction-scoped advisory lock, so
 * concurrent starts (worker, web, scheduler) migrate once. A session lock would outlive its
 * statements behind a transaction pooler: taken on one backend, released (in vain) on another,
 * it left the next process waiting forever. The bookkeeping is drizzle's own table, as before.
 */
async function migrateInOneTransaction(connection: Sql): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  await connection.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`;
    await tx`create schema if not exists drizzle`;
    await tx`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`;
    const [last] = await tx<{ created_at: string | null }[]>`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`;
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) await tx.unsafe(statement);
      await tx`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`;
    }
  });
}

/**
 * drizzle runs every query through postgres.js `unsafe` with `prepare: false` (unless the query was
 * built with `.prepare(name)`). postgres.js then sends each parameterized query twice over: a
 * describe, a wait for the answer, then the execution; and Postgres parses and plans it every
 * time. Prepared, a statement is described and parsed once per connection, later runs are one
 * round trip, and Postgres reuses a generic plan where it judges it as good as a fresh one (the
 * writer's batches, the anomaly read, the unfiltered run list); the run list filtered by client,
 * status or job, whose best index depends on the values, still gets a plan per call. The
 * statement texts are a bounded set: batches travel as one JSON parameter, values are parameters
 * (and the few integers written into a text come from small fixed sets).
 */
function withPreparedStatements(client: Sql): Sql {
  // simple: false as well, an option postgres.js's types leave out: it otherwise sends a query
  // without parameters as a simple query, which is parsed and planned every time, never prepared.
  const PREPARED = { prepare: true, simple: false } as UnsafeQueryOptions;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'unsafe') return Reflect.get(target, property, receiver) as unknown;
      return (query: string, parameters?: ParameterOrJSON<never>[], options?: UnsafeQueryOptions) => target.unsafe(query, parameters, { ...options, ...PREPARED });
    },
  });
}

function urlSaysUnprepared(url: string): boolean {
  try {
    return new URL(url).searchParams.get('prepare') === 'false';
  } catch {
    return false;
  }
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const { pgdata: location, pgdataLock } = dataDirLayout(dataDir);
  mkdirSync(location, { recursive: true });
  const lock = lockEmbeddedDatabase(pgdataLock, location);
  let client;
  try {
    client = await PGlite.create(location);
  } catch (cause) {
    lock.release();
    throw new ServiceUnavailableError(`embedded database at ${location} cannot be opened`, {
      cause,
      hint: 'check that the data directory is readable and writable, or set DATABASE_URL to use Postgres',
    });
  }
  const db = drizzle(client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    location,
    async migrate() {
      await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
    },
    pendingMigrations: () => countPendingMigrations(db),
    ping: () => pingDatabase(db, `embedded database at ${location}`, 'check the data directory'),
    warmUp: (work) => work(db),
    async close() {
      try {
        await client.close();
      } finally {
        lock.release();
      }
    },
  };
}

async function pingDatabase(db: Database, what: string, hint: string): Promise<void> {
  try {
    await db.execute(sql`select 1`);
  } catch (cause) {
    throw new ServiceUnavailableError(`${what} is not reachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, hint });
  }
}

async function countPendingMigrations(db: Database): Promise<number> {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  const [table] = await queryRows<{ present: boolean }>(db, sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if (!table?.present) return journal.entries.length;
  const [applied] = await queryRows<{ count: number | string }>(db, sql`select count(*) as count from drizzle.__drizzle_migrations`);
  return Math.max(0, journal.entries.length - Number(applied?.count ?? 0));
}

/** The folder holding package.json: migrations and assets are found from it, wherever we run from. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('jobtally package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
