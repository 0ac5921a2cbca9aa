import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { queryRows } from '../../src/persistence/db.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { RunWriter, type CompletedRun } from '../../src/persistence/writer.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { waitFor } from '../support/wait.js';

/**
 * Every run creation updates its second's name counter, and every completion its date's daily
 * figure over all clients: rows all concurrent statements share. A statement sent while another
 * is in flight would wait on that one's row locks and then commit alone; the writers hold it back
 * instead, so that calls made meanwhile go out together, in one statement and one commit. Each
 * test holds the shared row locked from another session, so that the first statement stays in
 * flight for as long as the test needs, and tells the statements apart by their transaction
 * (`xmin` of the rows they wrote).
 */
let database: TestDatabase;
let blocker: postgres.Sql;
let monitor: postgres.Sql;
let runs: RunsRepository;
let writer: RunWriter;
let sequence = 0;

const BUSINESS_DATE = '2026-11-25';
const SECOND = new Date(Date.UTC(2026, 10, 25, 9, 0, 0));

beforeAll(async () => {
  database = await createTestDatabase({ maxConnections: 8 });
  blocker = postgres(database.url, { max: 1, onnotice: () => undefined });
  monitor = postgres(database.url, { max: 1, onnotice: () => undefined });
  runs = new RunsRepository(database.db);
  writer = new RunWriter(database.db);
});
afterAll(async () => {
  await blocker.end();
  await monitor.end();
  await database.drop();
});

function newRun(now: Date) {
  sequence++;
  return runs.createRun({ job: 'license-count', client: 'acme', parameters: {}, trigger: 'manual', businessDate: BUSINESS_DATE, firstLine: `run ${sequence}`, now });
}

function completed(total: number): CompletedRun {
  return { total, limit: 100, counts: { SPA: total }, client: 'acme', businessDate: BUSINESS_DATE, message: 'total', lines: [] };
}

/** Sessions of the writers' pool waiting for a row lock, as Postgres sees them. */
async function sessionsWaitingOnLocks(): Promise<number> {
  const rows = await monitor<{ waiting: number }[]>`
    select count(*)::int as waiting from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`;
  return rows[0]?.waiting ?? 0;
}

/** The next turn of the event loop, when a batcher sends what was submitted before it. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `first` while `lockRow` (run in the blocker's open transaction) holds the shared row, then
 * `second` and `third`, each on a later turn of the event loop; releases the row once `first` waits.
 */
async function whileFirstIsInFlight<T>(lockRow: (transaction: postgres.TransactionSql) => Promise<unknown>, calls: [() => Promise<T>, () => Promise<T>, () => Promise<T>]): Promise<T[]> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked: () => void = () => undefined;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holding = blocker.begin(async (transaction) => {
    await lockRow(transaction);
    locked();
    await released;
  });
  await isLocked;
  const first = calls[0]();
  await waitFor('the first statement to wait for the locked row', async () => (await sessionsWaitingOnLocks()) === 1);
  const second = calls[1]();
  await nextTurn();
  const third = calls[2]();
  await nextTurn();
  release();
  await holding;
  return Promise.all([first, second, third]);
}

describe('writes to rows every statement shares', () => {
  it('creates the runs asked for while a creation waits on its name counter in one statement', async () => {
    await newRun(SECOND);
    const created = await whileFirstIsInFlight((transaction) => transaction`select 1 from run_name_counters for update`, [() => newRun(SECOND), () => newRun(SECOND), () => newRun(SECOND)]);
    const ids = created.map(({ run }) => run.id);
    const rows = await queryRows<{ id: number; statement: string }>(database.db, sql`select id, xmin::text as statement from job_logs where id in (${sql.join(ids, sql`, `)})`);
    const statementOf = new Map(rows.map((row) => [row.id, row.statement]));
    expect(created.map(({ run }) => run.name)).toEqual(['20261125090000_1', '20261125090000_2', '20261125090000_3']);
    expect(statementOf.get(ids[1] ?? 0)).toBe(statementOf.get(ids[2] ?? 0));
    expect(statementOf.get(ids[0] ?? 0)).not.toBe(statementOf.get(ids[1] ?? 0));
  });

  it('stores the results completed while a completion waits on the daily figure in one statement', async () => {
    const ids: number[] = [];
    for (let index = 0; index < 4; index++) ids.push((await newRun(new Date(SECOND.getTime() + 60_000 + index * 1000))).run.id);
    const [seed = 0, ...waiting] = ids;
    await writer.completeRun(seed, completed(1));
    const outcomes = await whileFirstIsInFlight(
      (transaction) => transaction`select 1 from daily_figures where client = 'acme' for update`,
      [() => writer.completeRun(waiting[0] ?? 0, completed(2)), () => writer.completeRun(waiting[1] ?? 0, completed(3)), () => writer.completeRun(waiting[2] ?? 0, completed(4))],
    );
    expect(outcomes).toEqual(['finished', 'finished', 'finished']);
    const rows = await queryRows<{ job_log_id: number; statement: string }>(database.db, sql`select job_log_id, xmin::text as statement from totals where job_log_id in (${sql.join(waiting, sql`, `)})`);
    const statementOf = new Map(rows.map((row) => [row.job_log_id, row.statement]));
    expect(statementOf.get(waiting[1] ?? 0)).toBe(statementOf.get(waiting[2] ?? 0));
    expect(statementOf.get(waiting[0] ?? 0)).not.toBe(statementOf.get(waiting[1] ?? 0));
    const [figure] = await queryRows<{ total: number }>(database.db, sql`select total::int as total from daily_figures where client = 'acme' and business_date = ${BUSINESS_DATE}`);
    expect(figure?.total).toBe(4);
  });
});
