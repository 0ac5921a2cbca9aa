import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { queryRows } from '../../src/persistence/db.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { schema } from '../../src/persistence/schema.js';
import { RunWriter } from '../../src/persistence/writer.js';
import { RUN_NAME_PATTERN } from '../../src/runs/names.js';
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

const newRun = (overrides: Partial<Parameters<RunsRepository['createRun']>[0]> = {}) => ({
  job: 'license-count',
  client: 'default',
  parameters: {},
  trigger: 'manual' as const,
  businessDate: '2025-12-15',
  firstLine: 'queued',
  ...overrides,
});

describe('RunsRepository.createRun', () => {
  it('gives 1,000 concurrent runs created in the same second 1,000 distinct valid names', async () => {
    const now = new Date('2025-12-15T14:30:22.000Z');
    const created = await Promise.all(Array.from({ length: 1000 }, () => runs.createRun(newRun({ now }))));
    const names = created.map((entry) => entry.run.name);
    expect(new Set(names).size).toBe(1000);
    for (const name of names) expect(name).toMatch(RUN_NAME_PATTERN);
    expect(names).toContain('20251215143022');
    expect(names).toContain('20251215143022_999');
  });

  it('takes the next suffix when a name is already used by another path', async () => {
    const now = new Date('2025-12-16T08:00:00.000Z');
    await database.db.execute(sql`insert into job_logs (name, business_date) values ('20251216080000', '2025-12-16')`);
    const { run } = await runs.createRun(newRun({ now }));
    expect(run.name).toBe('20251216080000_1');
  });

  it('returns the existing run for a repeated idempotency key', async () => {
    const first = await runs.createRun(newRun({ idempotencyKey: 'tick-1' }));
    const [second, third] = await Promise.all([runs.createRun(newRun({ idempotencyKey: 'tick-1' })), runs.createRun(newRun({ idempotencyKey: 'tick-1' }))]);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(third.created).toBe(false);
    expect(second.run.name).toBe(first.run.name);
  });
});

describe('status counts', () => {
  it('match a full count after concurrent inserts and status changes', async () => {
    const created = await Promise.all(Array.from({ length: 200 }, (_, i) => runs.createRun(newRun({ client: i % 2 ? 'acme' : 'default' }))));
    await Promise.all(
      created.map(({ run }, i) =>
        i % 3 === 0
          ? writer.failRun(run.id, 'boom', [{ level: 'error', message: 'boom' }])
          : writer.completeRun(run.id, { total: 10, limit: 100, counts: { A: 10 }, client: run.client, businessDate: run.businessDate, message: 'ok', lines: [] }),
      ),
    );
    const exact = await queryRows<{ status: number; count: string }>(database.db, sql`select status, count(*) as count from job_logs group by status`);
    const counts = await runs.statusCounts();
    for (const row of exact) {
      const name = (['pending', 'processing', 'error', 'success'] as const)[row.status]!;
      expect(counts[name]).toBe(Number(row.count));
    }
    const acme = await runs.statusCounts('acme');
    expect(acme.success + acme.error).toBe(100);
  });

  it('stay exact per client when concurrent backends create, finish and delete runs across shards', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => runs.createRun(newRun({ client: `shard${i % 3}` }))));
    const pending = await queryRows<{ id: number; client: string }>(database.db, sql`select id, client from job_logs where client like 'shard%' order by id`);
    await Promise.all(
      pending.map((run, i) =>
        i % 4 === 0
          ? writer.failRun(run.id, 'boom', [])
          : i % 4 === 1
            ? writer.markProcessing(run.id, new Date())
            : writer.completeRun(run.id, { total: 1, limit: 10, counts: { A: 1 }, client: run.client, businessDate: '2025-12-15', message: 'ok', lines: [] }),
      ),
    );
    // Deleted by other backends than the ones that inserted: their shards go negative, the sum must not.
    await Promise.all(pending.filter((_, i) => i % 10 === 0).map((run) => database.db.execute(sql`delete from job_logs where id = ${run.id}`)));

    const [shards] = await queryRows<{ used: number }>(database.db, sql`select count(distinct shard)::int as used from run_status_counts where client like 'shard%'`);
    expect(shards?.used).toBeGreaterThan(1);
    const exact = await queryRows<{ client: string; status: number; count: number }>(
      database.db,
      sql`select client, status, count(*)::int as count from job_logs where client like 'shard%' group by client, status`,
    );
    for (const client of ['shard0', 'shard1', 'shard2']) {
      const counts = await runs.statusCounts(client);
      const expected = { pending: 0, processing: 0, error: 0, success: 0 };
      for (const row of exact.filter((entry) => entry.client === client)) expected[(['pending', 'processing', 'error', 'success'] as const)[row.status]!] = row.count;
      expect(counts).toEqual(expected);
    }
    expect(await runs.clientsWithRuns()).toEqual(expect.arrayContaining(['shard0', 'shard1', 'shard2']));
  });
});

describe('RunWriter', () => {
  it('stores one totals row even when completion is written twice, and never turns success into error', async () => {
    const { run } = await runs.createRun(newRun());
    const result = { total: 5, limit: 10, counts: { A: 5 }, client: 'default', businessDate: '2025-12-15', message: 'ok', lines: [{ level: 'info' as const, message: 'done' }] };
    expect(await writer.completeRun(run.id, result)).toBe('finished');
    expect(await writer.completeRun(run.id, result)).toBe('already-finished');
    expect(await writer.failRun(run.id, 'late failure', [{ level: 'error', message: 'late' }])).toBe('already-finished');
    const detail = await runs.getDetail(run.name);
    expect(detail?.run.status).toBe(3);
    expect(detail?.total?.total).toBe(5);
    expect(detail?.details.map((line) => line.message)).toEqual(['queued', 'done']);
  });

  it('stamps started_at with when the first fetch began, whether the run succeeds, fails or was marked processing', async () => {
    const fetchBegan = new Date('2025-12-15T10:00:00.123Z');
    const [succeeded, failed, slow] = await Promise.all([1, 2, 3].map(() => runs.createRun(newRun())));
    await writer.completeRun(succeeded!.run.id, { total: 1, limit: 10, counts: { A: 1 }, client: 'default', businessDate: '2025-12-15', message: 'ok', lines: [], startedAt: fetchBegan });
    await writer.failRun(failed!.run.id, 'SPA: 401', [], { startedAt: fetchBegan });
    await writer.markProcessing(slow!.run.id, fetchBegan);
    expect((await runs.findById(slow!.run.id))?.status).toBe(1);
    await writer.completeRun(slow!.run.id, { total: 1, limit: 10, counts: { A: 1 }, client: 'default', businessDate: '2025-12-15', message: 'ok', lines: [], startedAt: new Date() });
    for (const { run } of [succeeded!, failed!, slow!]) expect((await runs.findById(run.id))?.startedAt?.toISOString()).toBe(fetchBegan.toISOString());
  });

  it('finishes a run once when its completion arrives several times at the same moment (one batch)', async () => {
    const { run } = await runs.createRun(newRun());
    const result = { total: 7, limit: 10, counts: { A: 7 }, client: 'default', businessDate: '2025-12-15', message: 'ok', lines: [{ level: 'info' as const, message: 'total 7' }] };
    const outcomes = await Promise.all([1, 2, 3].map(() => writer.completeRun(run.id, result)));
    expect(outcomes.filter((outcome) => outcome === 'finished')).toHaveLength(1);
    const detail = await runs.getDetail(run.name);
    expect(detail?.details.map((line) => line.message)).toEqual(['queued', 'total 7']);
    const [totalRows] = await queryRows<{ count: number }>(database.db, sql`select count(*)::int as count from totals where job_log_id = ${run.id}`);
    expect(totalRows?.count).toBe(1);
  });

  it('stores each run’s counts with its result, lines in the order the counts came in, dated then', async () => {
    const created = await Promise.all(Array.from({ length: 10 }, () => runs.createRun(newRun())));
    const outcomes = await Promise.all(
      created.map(({ run }) => {
        const queuedAt = run.createdAt.getTime();
        // Listed in another order than they came in; SPA's worker clock runs a minute behind the
        // database's, so its count is dated when the run was queued, before UPCTM's.
        const sources = [
          { source: 'UPCTM', count: 2 * run.id, durationMs: 3, line: `UPCTM counted ${run.id}`, fetchedAt: queuedAt + 1 },
          { source: 'SPA', count: run.id, durationMs: 3, line: `SPA counted ${run.id}`, fetchedAt: queuedAt - 60_000 },
        ];
        return writer.completeRun(run.id, { total: 3 * run.id, limit: 10 ** 9, counts: { SPA: run.id, UPCTM: 2 * run.id }, client: 'default', businessDate: '2025-12-15', message: 'ok', lines: [{ level: 'info', message: 'total' }], sources });
      }),
    );
    expect(outcomes.every((outcome) => outcome === 'finished')).toBe(true);
    for (const { run } of created) {
      const detail = await runs.getDetail(run.name);
      expect(detail?.counts.map((count) => [count.source, count.count])).toEqual([
        ['SPA', run.id],
        ['UPCTM', 2 * run.id],
      ]);
      expect(detail?.details.map((line) => line.message)).toEqual(['queued', `SPA counted ${run.id}`, `UPCTM counted ${run.id}`, 'total']);
      const spa = detail?.counts.find((count) => count.source === 'SPA');
      expect(spa?.fetchedAt.getTime()).toBe(run.createdAt.getTime());
      expect(detail?.counts.find((count) => count.source === 'UPCTM')?.fetchedAt.getTime()).toBe(run.createdAt.getTime() + 1);
    }
  });

  it('keeps the counts of a failed run’s sources, each stored once, and ignores counts of a run that is gone', async () => {
    const { run } = await runs.createRun(newRun());
    const count = (source: string, value: number) => ({ source, count: value, durationMs: 1, line: `${source} counted ${value}` });
    expect(await writer.failRun(run.id, 'UPCTM: 401', [{ level: 'error', message: 'UPCTM failed' }], { sources: [count('SPA', 1)] })).toBe('finished');
    await writer.recordSourceCounts(run.id, [count('SPA', 2), count('PROD', 3)]);
    await writer.recordSourceCounts(2_000_000_000, [count('SPA', 4)]);
    const detail = await runs.getDetail(run.name);
    expect(detail?.run.status).toBe(2);
    expect(detail?.counts.map((row) => [row.source, row.count])).toEqual([
      ['PROD', 3],
      ['SPA', 1],
    ]);
    expect(detail?.details.map((line) => line.message)).toEqual(['queued', 'SPA counted 1', 'UPCTM failed', 'PROD counted 3']);
    const [orphans] = await queryRows<{ count: number }>(database.db, sql`select count(*)::int as count from source_counts where job_log_id = 2000000000`);
    expect(orphans?.count).toBe(0);
  });

  it('truncates a detail longer than 5,000 characters with a marker instead of rejecting it', async () => {
    const { run } = await runs.createRun(newRun());
    await writer.failRun(run.id, 'x'.repeat(9000), [{ level: 'error', message: 'y'.repeat(9000) }]);
    const detail = await runs.getDetail(run.name);
    const last = detail?.details.at(-1)?.message ?? '';
    expect(last.length).toBe(5000);
    expect(last).toMatch(/\[truncated: message was 9,000 characters\]$/);
  });
});

describe('listRuns', () => {
  it('pages with a keyset cursor without skipping or repeating rows', async () => {
    const seen = new Set<string>();
    let cursor;
    let pages = 0;
    do {
      const page = await runs.listRuns({ client: 'acme' }, { limit: 30, cursor });
      for (const row of page.rows) {
        expect(seen.has(row.name)).toBe(false);
        seen.add(row.name);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen.size).toBe(100);
    expect(pages).toBe(4);
  });

  it('keeps pages exact when many runs share a millisecond (cursor timestamps round-trip)', async () => {
    const base = '2025-12-16 09:00:00.123';
    for (const micros of ['100', '400', '700', '900']) {
      await database.db.execute(sql`insert into job_logs (name, job, client, parameters, trigger, business_date, created_at)
        values (${`20251216090000_${micros}`}, 'license-count', 'micro', '{}'::jsonb, 'manual', '2025-12-16', ${`${base}${micros}+00`}::timestamptz)`);
    }
    const names: string[] = [];
    let cursor;
    do {
      const page = await runs.listRuns({ client: 'micro' }, { limit: 1, cursor });
      names.push(...page.rows.map((row) => row.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names.sort()).toEqual(['20251216090000_100', '20251216090000_400', '20251216090000_700', '20251216090000_900']);
  });

  it('pages exactly when a page size is read as a larger cached size (unfiltered lists)', async () => {
    await database.db.execute(sql`insert into job_logs (name, job, client, parameters, trigger, business_date, created_at)
      select '2030010100000' || lpad(g::text, 1, '0') || '_' || g, 'license-count', 'default', '{}'::jsonb, 'manual', '2030-01-01', timestamptz '2030-01-01 00:00:00+00' + g * interval '1 second'
      from generate_series(1, 23) g`);
    const window = { since: new Date('2030-01-01T00:00:00Z'), until: new Date('2030-01-02T00:00:00Z') };
    const sizes: number[] = [];
    const seen = new Set<string>();
    let cursor;
    do {
      const page = await runs.listRuns(window, { limit: 7, cursor });
      sizes.push(page.rows.length);
      for (const row of page.rows) seen.add(row.name);
      cursor = page.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([7, 7, 7, 2]);
    expect(seen.size).toBe(23);
  });
});

describe('dailyTotals', () => {
  it('gives the latest total of each business date per client, of one client or of all side by side, within bounds and at most `days` calendar days', async () => {
    // Three clients, 40 days with gaps, up to four runs a day; totals written out of order.
    const days = Array.from({ length: 40 }, (_, index) => new Date(Date.UTC(2024, 0, 1) + index * 86_400_000).toISOString().slice(0, 10)).filter((_, index) => index % 7 !== 3);
    let sequence = 0;
    for (const client of ['dt-a', 'dt-b', 'dt-c']) {
      for (const [dayIndex, day] of days.entries()) {
        for (let run = 0; run < 1 + ((dayIndex + client.length) % 4); run++) {
          sequence++;
          const { run: created } = await runs.createRun(newRun({ client, businessDate: day }));
          const at = new Date(Date.parse(`${day}T06:00:00Z`) + ((sequence * 7919) % 50_000) * 1000);
          await database.db.execute(sql`
            insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
            values (${created.id}, ${client}, ${day}::date, ${sequence}, 100000, '{}', ${at.toISOString()}::timestamptz, ${created.name})`);
        }
      }
    }
    // The reference: DISTINCT ON over every total, within `days` calendar days of the newest date in range.
    const reference = async (client: string | undefined, since: string | undefined, until: string | undefined, days: number) => {
      const inRange = sql`true ${client ? sql`and t.client = ${client}` : sql``} ${since ? sql`and t.business_date >= ${since}::date` : sql``} ${until ? sql`and t.business_date <= ${until}::date` : sql``}`;
      return queryRows<{ client: string; business_date: string; total: number; run_name: string }>(
        database.db,
        sql`select distinct on (t.business_date, t.client) t.client, t.business_date::text, t.total::float8 as total, j.name as run_name
            from totals t join job_logs j on j.id = t.job_log_id
            where ${inRange} and t.business_date > (select max(t.business_date) from totals t where ${inRange}) - ${days}::int
            order by t.business_date desc, t.client, t.created_at desc, t.job_log_id desc`,
      );
    };
    const cases: [string | undefined, string | undefined, string | undefined, number][] = [
      ['dt-a', undefined, '2024-01-25', 10],
      ['dt-b', undefined, undefined, 366],
      ['dt-a', '2024-01-05', '2024-01-20', 366],
      ['dt-c', '2024-01-10', undefined, 5],
      ['dt-a', '2030-01-01', undefined, 366],
      [undefined, '2024-01-01', '2024-02-28', 366],
    ];
    for (const [client, since, until, limit] of cases) {
      const rows = await runs.dailyTotals({ client, since, until }, limit);
      const expected = await reference(client, since, until, limit);
      expect(rows.map((row) => [row.client, row.businessDate, row.total, row.runName])).toEqual(expected.map((row) => [row.client, row.business_date, row.total, row.run_name]));
    }
    expect((await runs.dailyTotals({ client: 'dt-a', since: '2024-01-01', until: '2024-01-07' })).every((row) => row.createdAt instanceof Date)).toBe(true);
  });
});

describe('hand-mapped run reads', () => {
  it('return what the query builder maps, field for field, for the run, its list row and its detail', async () => {
    const { run: created } = await runs.createRun(newRun({ client: 'mapped', parameters: { sources: ['SPA'] }, businessDate: '2025-12-20' }));
    await writer.completeRun(created.id, {
      sources: [{ source: 'SPA', count: 1234, breakdown: { byStatus: { 'Ended OK': 1234 } }, metrics: { job_executions: 1234 }, durationMs: 12, line: 'SPA counted' }],
      total: 1234,
      limit: 48_500,
      counts: { SPA: 1234 },
      client: 'mapped',
      businessDate: '2025-12-20',
      message: 'total',
      lines: [{ level: 'info', message: 'done' }],
      metrics: [{ metric: 'job_executions', rule: 'sum', value: 1234 }],
    });
    const { run: retry } = await runs.createRun(newRun({ client: 'mapped', retriedFrom: created.name, retryCount: 1 }));

    const [built] = await database.db.select().from(schema.jobLogs).where(eq(schema.jobLogs.id, created.id));
    const run = await runs.findByName(created.name);
    expect(run).toEqual(built);
    expect(run?.createdAt).toBeInstanceOf(Date);

    const page = await runs.listRuns({ client: 'mapped' }, { limit: 10 });
    expect(page.rows.map((row) => row.name)).toEqual([retry.name, created.name]);
    expect(page.rows[1]).toEqual({ ...built, total: 1234, limit: 48_500 });
    expect(page.rows[0]).toMatchObject({ retriedFrom: created.name, retryCount: 1, total: null, limit: null });

    if (!run) throw new Error('the run was not found');
    const detail = await runs.detailOf(run);
    expect(detail.details).toEqual(await database.db.select().from(schema.jobLogDetails).where(eq(schema.jobLogDetails.jobLogId, created.id)).orderBy(asc(schema.jobLogDetails.createdAt), asc(schema.jobLogDetails.id)));
    expect(detail.counts).toEqual(await database.db.select().from(schema.sourceCounts).where(eq(schema.sourceCounts.jobLogId, created.id)));
    expect(detail.total).toEqual((await database.db.select().from(schema.totals).where(eq(schema.totals.jobLogId, created.id)))[0]);
    expect(detail.metrics).toEqual([
      { jobLogId: created.id, source: null, metric: 'job_executions', rule: 'sum', value: 1234 },
      { jobLogId: created.id, source: 'SPA', metric: 'fetch_duration_ms', rule: null, value: 12 },
      { jobLogId: created.id, source: 'SPA', metric: 'job_executions', rule: null, value: 1234 },
    ]);
    expect(detail.retries).toEqual([{ name: retry.name, status: 0, createdAt: retry.createdAt }]);

    const retried = await runs.findByName(retry.name);
    if (!retried) throw new Error('the retry was not found');
    const alone = await runs.detailOf(retried);
    expect(alone).toMatchObject({ details: [{ message: 'queued' }], counts: [], total: undefined, retries: [], metrics: [] });
  });
});
