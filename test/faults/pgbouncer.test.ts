import { sql } from 'drizzle-orm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { readinessChecks } from '../../src/health/checks.js';
import { warmUpRoles } from '../../src/lifecycle/app.js';
import { openDatabase, queryRows } from '../../src/persistence/db.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '../support/db.js';
import { createHarness, type Harness } from '../support/harness.js';
import { testPrefix } from '../support/redis.js';
import { scriptedSource } from '../support/sources.js';
import { PgBouncer } from './support/pgbouncer.js';
import { record, writeSummary } from './support/results.js';

const prefix = testPrefix();
let direct: TestDatabase;
let bouncer: PgBouncer;
let pooledUrl: string;
let dir: string;
let harness: Harness | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-pgbouncer-test-'));
  direct = await createTestDatabase({ migrate: false });
  // Two backends for everything: consecutive statements of one client land on different ones.
  bouncer = await PgBouncer.start(TEST_POSTGRES_URL, 2);
  pooledUrl = bouncer.url(direct.name, TEST_POSTGRES_URL);
});
afterAll(async () => {
  await harness?.close();
  await bouncer.stop();
  if (!harness) await direct.drop();
  await rm(dir, { recursive: true, force: true });
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
});

describe('fault suite: Postgres through PgBouncer in transaction mode', () => {
  it('two processes migrate at once through the pooler, 100 runs count through it, and no advisory lock is left behind', async () => {
    const handles = await Promise.all([0, 1].map(() => openDatabase({ url: pooledUrl, dataDir: dir, maxConnections: 4, pooler: 'transaction' })));
    const started = Date.now();
    await Promise.all(handles.map((handle) => handle.migrate()));
    const migrateSeconds = (Date.now() - started) / 1000;
    await Promise.all(handles.map((handle) => handle.close()));
    const [locks] = await queryRows<{ count: string }>(direct.db, sql`select count(*) as count from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`);
    expect(Number(locks?.count)).toBe(0);

    const pooled = await openDatabase({ url: pooledUrl, dataDir: dir, maxConnections: 4, pooler: 'transaction' });
    harness = await createHarness(
      { queue: { prefix } },
      {
        database: {
          ...pooled,
          url: pooledUrl,
          name: direct.name,
          async drop() {
            await pooled.close();
            await direct.drop();
          },
        },
      },
    );
    const current = harness;
    await warmUpRoles(current.database, current.config, ['worker', 'scheduler', 'web']);
    expect(await current.database.pendingMigrations()).toBe(0);
    current.startWorkers([scriptedSource('SPA', [20_000]), scriptedSource('UPCTM', [28_000])]);
    const counting = Date.now();
    const queued = await Promise.all(Array.from({ length: 100 }, () => current.producer.enqueueRun({ trigger: 'manual' })));
    const finished = await Promise.all(queued.map((run) => waitForRunFinished(current.runs, run.name, { timeoutMs: 60_000, intervalMs: 100 })));
    const countSeconds = (Date.now() - counting) / 1000;
    expect(finished.map((run) => run.status)).toEqual(queued.map(() => RUN_STATUS.success));
    const checks = await readinessChecks({ connection: current.connection, queuePrefix: prefix, database: current.database });
    expect(checks.map((check) => check.ok)).toEqual([true, true, true]);
    record('pgbouncer transaction mode', `2 concurrent migrations through it in ${migrateSeconds.toFixed(1)} s, 0 advisory locks left; 100 runs succeeded in ${countSeconds.toFixed(1)} s over 2 pooled backends`);
  });
});
