import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/persistence/db.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { RunWriter } from '../../src/persistence/writer.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let database: TestDatabase;
let runs: RunsRepository;
let writer: RunWriter;

beforeAll(async () => {
  database = await createTestDatabase({ maxConnections: 20 });
  runs = new RunsRepository(database.db);
  writer = new RunWriter(database.db);
});
afterAll(async () => {
  await database.drop();
});

type FigureRow = { client: string; business_date: string; job_log_id: number; run_name: string; total: number; counts: unknown; created_at: string };

const figures = () =>
  queryRows<FigureRow>(
    database.db,
    sql`select client, business_date::text, job_log_id, run_name, total::float8 as total, counts, created_at::text from daily_figures order by client, business_date`,
  );

/** What the figures must be: the latest total of each date (created_at, then run id), per client; none over all clients. */
const expectedFigures = () =>
  queryRows<FigureRow>(
    database.db,
    sql`
    select distinct on (client, business_date) client, business_date::text, job_log_id, run_name, total::float8 as total, counts, created_at::text
    from totals order by client, business_date, created_at desc, job_log_id desc`,
  );

/** Runs of `client` on `day`, with totals counted at the given minutes past 08:00 (in one statement). */
async function storeTotals(client: string, day: string, minutes: number[]): Promise<number[]> {
  const ids: number[] = [];
  for (const _minute of minutes) {
    const { run } = await runs.createRun({ job: 'license-count', client, parameters: {}, trigger: 'manual', businessDate: day, firstLine: 'queued' });
    ids.push(run.id);
  }
  const rows = ids.map((id, index) => ({ id, at: new Date(Date.parse(`${day}T08:00:00Z`) + (minutes[index] ?? 0) * 60_000).toISOString(), total: id * 10 }));
  await database.db.execute(sql`
    insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
    select r.id, ${client}, ${day}::date, r.total, 48500, jsonb_build_object('SPA', r.total), r.at, j.name
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id int, at timestamptz, total bigint) join job_logs j on j.id = r.id`);
  return ids;
}

describe('daily figures', () => {
  it('follow every insert and delete of totals: the latest total of each date, per client', async () => {
    await storeTotals('acme', '2025-03-01', [10, 30, 20]);
    await storeTotals('beta', '2025-03-01', [25]);
    // Older totals stored later (a backfill) leave the figure alone; a later one takes it over.
    await storeTotals('acme', '2025-03-01', [5]);
    const late = await storeTotals('beta', '2025-03-01', [40]);
    await storeTotals('acme', '2025-03-02', [0, 0]);
    expect(await figures()).toEqual(await expectedFigures());
    expect((await figures()).find((row) => row.client === 'beta' && row.business_date === '2025-03-01')?.job_log_id).toBe(late[0]);
    // A client's figure is its own: acme's stays acme's latest, whoever finished last.
    expect((await figures()).filter((row) => row.business_date === '2025-03-01').map((row) => row.client)).toEqual(['acme', 'beta']);

    // Deleting the runs behind figures (as retention does) hands each figure to the next latest total.
    await database.db.execute(sql`delete from job_logs where id in (select job_log_id from daily_figures where business_date = '2025-03-01')`);
    expect(await figures()).toEqual(await expectedFigures());
    // A date whose totals are all gone has no figure left.
    await database.db.execute(sql`delete from job_logs where business_date = '2025-03-02'`);
    const left = await figures();
    expect(left).toEqual(await expectedFigures());
    expect(left.some((row) => row.business_date === '2025-03-02')).toBe(false);
    // A total that is not a figure goes without changing any.
    const before = await figures();
    await database.db.execute(sql`delete from job_logs where id = (select job_log_id from totals where client = 'acme' and business_date = '2025-03-01' order by created_at limit 1)`);
    expect(await figures()).toEqual(before);
  });

  it('stay exact when concurrent writers finish runs of the same client and date', async () => {
    const created = await Promise.all(
      Array.from({ length: 60 }, () => runs.createRun({ job: 'license-count', client: 'busy', parameters: {}, trigger: 'api', businessDate: '2025-04-01', firstLine: 'queued' })),
    );
    const outcomes = await Promise.all(
      created.map(({ run }, index) =>
        writer.completeRun(run.id, { total: index, limit: 48_500, counts: { SPA: index }, client: 'busy', businessDate: '2025-04-01', message: 'done', lines: [] }),
      ),
    );
    expect(outcomes.every((outcome) => outcome === 'finished')).toBe(true);
    expect(await figures()).toEqual(await expectedFigures());
  });

  it('stay exact, without deadlocks, when deletions and stores of the same dates run at once', async () => {
    const days = ['2025-06-01', '2025-06-02', '2025-06-03'];
    const clients = ['d-a', 'd-b'];
    const storeRound = async (minute: number) => {
      for (const client of clients) for (const day of days) await storeTotals(client, day, [minute]);
    };
    await storeRound(0);
    for (let round = 1; round <= 40; round++) {
      // Each statement touches every date and client, in both directions at once.
      await Promise.all([
        database.db.execute(sql`delete from job_logs where id in (select job_log_id from daily_figures where business_date between '2025-06-01' and '2025-06-03')`),
        storeRound(round),
        storeRound(round + 100),
      ]);
    }
    expect(await figures()).toEqual(await expectedFigures());
  });

  it('are what the daily series and the insight figures read', async () => {
    await storeTotals('gamma', '2025-05-01', [1, 2]);
    const [gammaFigure] = await storeTotals('gamma', '2025-05-02', [3]);
    const series = await runs.dailyTotals({ client: 'gamma' });
    expect(series.map((row) => [row.businessDate, row.total])).toEqual([
      ['2025-05-02', (gammaFigure ?? 0) * 10],
      ['2025-05-01', (await expectedFigures()).find((row) => row.client === 'gamma' && row.business_date === '2025-05-01')?.total],
    ]);
  });
});
