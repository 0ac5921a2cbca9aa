import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { addDays } from '../src/insight/calendar.js';
import { RunAnomalyCheck } from '../src/monitor/anomaly-check.js';
import { logAlertSink } from '../src/notify/events.js';
import { openDatabase, queryRows, type Database } from '../src/persistence/db.js';
import { InsightRepository } from '../src/persistence/insight-repository.js';
import { schema } from '../src/persistence/schema.js';
import { createScratchDatabase } from './scratch-database.js';
import { percentile } from './stats.js';

/**
 * `npm run bench:insight`: seeds a database with a year of runs every 5 minutes (100,000 for one
 * client, plus a second client), with Control-M breakdowns and some anomalies, then runs
 * EXPLAIN ANALYZE on the exact statements the insight repository sends (captured from the driver)
 * and times each one. Writes bench/results/insight-explain.md.
 */
const RUNS = Number(process.env.INSIGHT_BENCH_RUNS ?? 100_000);
const TIME_ZONE = 'Europe/Paris';
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const log = (line: string) => process.stderr.write(`${line}\n`);

const scratch = await createScratchDatabase(postgresUrl, 'jobtally_insight');

interface Captured {
  query: string;
  parameters: unknown[];
}

try {
  const handle = await openDatabase({ url: scratch.url, dataDir: '/nonexistent' });
  await handle.migrate();
  const started = performance.now();
  const last = await seed(handle.db);
  log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s; last business date ${last}`);
  await handle.close();

  const captured: Captured[] = [];
  const client = postgres(scratch.url, { max: 1, onnotice: () => undefined, debug: (_connection, query, parameters) => void captured.push({ query, parameters: parameters as unknown[] }) });
  const insight = new InsightRepository(drizzle(client, { schema }));
  const capture = async (action: () => Promise<unknown>): Promise<Captured> => {
    captured.length = 0;
    await action();
    const statement = captured.at(-1);
    if (!statement) throw new Error('no statement captured');
    return statement;
  };
  await client`select 1`;
  const latest = await insight.latestRun('default');
  if (!latest) throw new Error('no runs seeded');
  const previous = await insight.latestRun('default', addDays(latest.businessDate, -1));
  const cases: [string, () => Promise<unknown>][] = [
    ['anomaly check: same-hour history (14 runs, 28 days back)', () => insight.sameHourHistory({ client: 'default', businessDate: last, hour: 14, timeZone: TIME_ZONE, excludeRunId: latest.runId, before: new Date(), runs: 14, lookbackDays: 28 })],
    ['anomaly check: same-hour history of a small client (acme, 5% of runs)', () => insight.sameHourHistory({ client: 'acme', businessDate: last, hour: 14, timeZone: TIME_ZONE, excludeRunId: 0, before: new Date(), runs: 14, lookbackDays: 28 })],
    ['daily figures, 37 days', () => insight.dailyFigures('default', addDays(last, -36), last)],
    ['daily figures of a small client, 37 days', () => insight.dailyFigures('acme', addDays(last, -36), last)],
    ['daily figures, 366 days', () => insight.dailyFigures('default', addDays(last, -365), last)],
    ['forecast: day curves, 15 days', () => insight.dayCurves('default', addDays(last, -14), last, TIME_ZONE)],
    ['forecast: day curves of a small client, 15 days', () => insight.dayCurves('acme', addDays(last, -14), last, TIME_ZONE)],
    ['latest successful run of a client', () => insight.latestRun('default')],
    ['latest successful run of a small client', () => insight.latestRun('acme')],
    ['latest successful run of a date', () => insight.latestRun('default', addDays(last, -1))],
    ['status + application breakdowns of two runs', () => insight.breakdowns([latest.runId, previous?.runId ?? latest.runId], ['status', 'application'])],
    ['anomalies of 30 days, newest 50', () => insight.anomalies('default', addDays(last, -29), last, 50)],
  ];
  const lines: string[] = [`# Insight queries at ${RUNS.toLocaleString('en')} runs`, '', `Seeded: ${RUNS.toLocaleString('en')} runs for client \`default\` every 5 minutes (90% successful), ${Math.round(RUNS / 20).toLocaleString('en')} for \`acme\` every 100 minutes over the same year; 16 breakdown rows per run; 3,000 anomalies. Postgres on this machine, warm cache; time = median of 20 EXPLAIN ANALYZE executions.`, ''];
  const summary: string[] = ['| query | execution (ms), median / max of 20 |', '| --- | --- |'];
  for (const [label, action] of cases) {
    const statement = await capture(action);
    const times: number[] = [];
    let plan = '';
    for (let index = 0; index < 20; index++) {
      const rows = await client.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${statement.query}`, statement.parameters as never[]);
      plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      const time = /Execution Time: ([\d.]+) ms/.exec(plan)?.[1];
      times.push(Number(time));
    }
    times.sort((left, right) => left - right);
    summary.push(`| ${label} | ${percentile(times, 0.5).toFixed(3)} / ${(times.at(-1) ?? Number.NaN).toFixed(3)} |`);
    lines.push(`## ${label}`, '', '```sql', statement.query.trim().replace(/\n\s+/g, '\n  '), '```', '', '```', plan, '```', '');
    log(`${label}: median ${percentile(times, 0.5).toFixed(3)} ms`);
  }
  // The whole check as the aggregate job runs it for an ordinary run: read, pure math, no write.
  const check = new RunAnomalyCheck({ insight, alerts: logAlertSink(pino({ level: 'silent' })), logger: pino({ level: 'silent' }), rules: parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }] }).insight.anomalies, timezone: TIME_ZONE, now: () => latest.createdAt });
  const [usual] = await queryRows<{ counts: Record<string, number> }>(drizzle(client, { schema }), sql`select counts from totals where job_log_id = ${latest.runId}`);
  const run = { runId: latest.runId, runName: latest.runName, client: 'default', businessDate: last, counts: usual?.counts ?? {} };
  const checkTimes: number[] = [];
  for (let index = 0; index < 220; index++) {
    const started = performance.now();
    const found = await check.afterSuccess(run);
    if (found.length > 0) throw new Error('the ordinary run was found unusual');
    if (index >= 20) checkTimes.push(performance.now() - started);
  }
  checkTimes.sort((left, right) => left - right);
  summary.push(`| anomaly check end to end for an ordinary run (round trip + math, no write), p50 / p99 of 200 | ${percentile(checkTimes, 0.5).toFixed(3)} / ${percentile(checkTimes, 0.99).toFixed(3)} |`);
  await client.end({ timeout: 5 });
  const report = [...lines.slice(0, 4), ...summary, '', ...lines.slice(4)].join('\n');
  await mkdir(path.join('bench', 'results'), { recursive: true });
  await writeFile(path.join('bench', 'results', 'insight-explain.md'), report);
  process.stdout.write(`${summary.join('\n')}\n`);
} finally {
  await scratch.drop();
}

/** A year of runs every 5 minutes with a daily curve, like the scheduler makes them. Returns the last business date. */
async function seed(db: Database): Promise<string> {
  const start = '2025-01-01T00:00:00Z';
  await db.execute(sql`
    insert into job_logs (name, client, status, trigger, message, business_date, created_at, started_at, finished_at)
    select to_char(t at time zone 'UTC', 'YYYYMMDDHH24MISS') || '_' || g, 'default', case when g % 10 = 0 then 2 else 3 end, 'schedule', 'seeded',
      (t at time zone ${TIME_ZONE})::date, t, t, t + interval '300 milliseconds'
    from generate_series(1, ${RUNS}) g, lateral (select ${start}::timestamptz + g * interval '5 minutes' as t) at`);
  await db.execute(sql`
    insert into job_logs (name, client, status, trigger, message, business_date, created_at, started_at, finished_at)
    select to_char(t at time zone 'UTC', 'YYYYMMDDHH24MISS') || '_' || g, 'acme', 3, 'schedule', 'seeded',
      (t at time zone ${TIME_ZONE})::date, t, t, t + interval '300 milliseconds'
    from generate_series(1, ${Math.round(RUNS / 20)}) g, lateral (select ${start}::timestamptz + g * interval '100 minutes' + interval '7 seconds' as t) at`);
  // Cumulative counts: the share of the day's final figure grows with the local time of day.
  await db.execute(sql`
    insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
    select id, client, business_date, spa + upctm, 48500, jsonb_build_object('SPA', spa, 'UPCTM', upctm), created_at, name
    from (
      select j.id, j.name, j.client, j.business_date, j.created_at,
        round(22000 * share)::int as spa, round(18000 * share)::int as upctm
      from job_logs j, lateral (select extract(epoch from (j.created_at at time zone ${TIME_ZONE}) - j.business_date::timestamp) / 86400.0 as share) s
      where j.status = 3
    ) c`);
  await db.execute(sql`
    insert into source_counts (job_log_id, source, count, duration_ms)
    select job_log_id, key, value::bigint, 120 from totals, jsonb_each_text(counts)`);
  await db.execute(sql`
    insert into count_breakdowns (job_log_id, source, dimension, key, count)
    select t.id, 'SPA', d.dimension, d.key, 1 + (t.id % 97) * d.weight
    from job_logs t,
      (values ('status', 'Ended OK', 50), ('status', 'Ended Not OK', 3), ('status', 'Executing', 5), ('status', 'Wait Condition', 4), ('status', 'Wait Resource', 1), ('status', 'Wait Host', 1),
              ('application', 'FIN', 20), ('application', 'HR', 9), ('application', 'OPS', 8), ('application', 'SALES', 7), ('application', 'CRM', 6),
              ('application', 'DWH', 5), ('application', 'PAY', 4), ('application', 'LOG', 3), ('application', 'EDI', 2), ('application', 'MISC', 1)) as d(dimension, key, weight)
    where t.status = 3`);
  await db.execute(sql`
    insert into anomalies (job_log_id, client, business_date, kind, subject, value, median, low, high, history, message, created_at)
    select t.job_log_id, t.client, t.business_date, 'count', 'SPA', 1, 2, 1.5, 2.5, 14, 'seeded', t.created_at
    from totals t where t.id % 33 = 0 limit 3000`);
  await db.execute(sql`analyze`);
  const [row] = await queryRows<{ last: string }>(db, sql`select max(business_date)::text as last from totals where client = 'default'`);
  return row?.last ?? '';
}
