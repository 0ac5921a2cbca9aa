import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { pino } from 'pino';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { parseConfig } from '../src/config/load.js';
import { encodeCursor } from '../src/http/run-query.js';
import { startWebServer } from '../src/http/server.js';
import { openApp } from '../src/lifecycle/app.js';
import { queryRows } from '../src/persistence/db.js';
import { summarize, timeEach, type LatencySummary } from './stats.js';

export interface HttpScaleOptions {
  runs: number;
  detailsPerRun: number;
  requests: number;
  postgresUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

export interface HttpScaleRow {
  case: string;
  baseline: LatencySummary;
  http: LatencySummary;
}

/**
 * The dashboard at years of history: seeds a dedicated database, then times each page over HTTP
 * (autocannon, one connection, `requests` requests) against the same repository query called
 * directly (the baseline: what the database alone costs).
 */
export async function benchHttpAtScale(options: HttpScaleOptions): Promise<HttpScaleRow[]> {
  const name = `jobtally_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(options.postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const databaseUrl = new URL(options.postgresUrl);
  databaseUrl.pathname = `/${name}`;
  const config = parseConfig(
    { sources: [{ name: 'SPA', type: 'static', count: 1 }, { name: 'UPCTM', type: 'static', count: 2 }], queue: { prefix: `bench-${randomBytes(4).toString('hex')}` }, web: { port: 0 } },
    { env: { DATABASE_URL: databaseUrl.toString(), REDIS_URL: options.redisUrl } },
  );
  const app = await openApp(config, pino({ level: 'warn' }), { migrate: true, redisRole: 'producer' });
  try {
    const started = performance.now();
    await seed(app.database.db, options.runs, options.detailsPerRun);
    options.log(`seeded ${options.runs.toLocaleString('en')} runs and ${(options.runs * options.detailsPerRun).toLocaleString('en')} details in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const web = await startWebServer(app);
    try {
      const [deep] = await queryRows<{ created_at: string; id: number }>(app.database.db, sql`select created_at, id from job_logs order by created_at desc, id desc offset ${Math.floor(options.runs * 0.9)} limit 1`);
      const [oneRun] = await queryRows<{ name: string }>(app.database.db, sql`select name from job_logs order by id desc offset ${Math.floor(options.runs / 2)} limit 1`);
      if (!deep || !oneRun) throw new Error('seed produced no runs');
      const deepCursor = { value: new Date(deep.created_at).toISOString(), id: deep.id };
      const cases: { name: string; path: string; baseline: () => Promise<unknown> }[] = [
        { name: '/runs first page', path: '/runs', baseline: () => Promise.all([app.runs.listRuns({}, { limit: 50 }), app.runs.statusCounts()]) },
        {
          name: '/runs?status=error&client=acme',
          path: '/runs?status=error&client=acme',
          baseline: () => Promise.all([app.runs.listRuns({ status: ['error'], client: 'acme' }, { limit: 50 }), app.runs.statusCounts('acme')]),
        },
        { name: '/runs deep page (90%)', path: `/runs?cursor=${encodeCursor(deepCursor)}`, baseline: () => Promise.all([app.runs.listRuns({}, { limit: 50, cursor: deepCursor }), app.runs.statusCounts()]) },
        { name: `/runs/<id> (${options.detailsPerRun} details)`, path: `/runs/${oneRun.name}`, baseline: () => app.runs.getDetail(oneRun.name) },
        { name: '/api/runs', path: '/api/runs', baseline: () => app.runs.listRuns({}, { limit: 50 }) },
      ];
      const rows: HttpScaleRow[] = [];
      for (const entry of cases) {
        await timeEach(10, entry.baseline);
        const baseline = summarize(await timeEach(options.requests, entry.baseline));
        const http = await measureHttp(`${web.url}${entry.path}`, options.requests);
        rows.push({ case: entry.name, baseline, http });
        options.log(`${entry.name}: http p50 ${http.p50.toFixed(1)} ms, p99 ${http.p99.toFixed(1)} ms`);
      }
      return rows;
    } finally {
      await web.close();
    }
  } finally {
    await app.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function measureHttp(url: string, requests: number): Promise<LatencySummary> {
  await autocannon({ url, amount: 10, connections: 1 });
  const result = await autocannon({ url, amount: requests, connections: 1 });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max };
}

/** Runs spread over a year, 10% failed, each with its details, two counts and a total. */
async function seed(db: Parameters<typeof queryRows>[0], runs: number, detailsPerRun: number): Promise<void> {
  const spacingSeconds = Math.max(1, Math.floor((365 * 86_400) / runs));
  await db.execute(sql`
    insert into job_logs (name, client, status, trigger, message, business_date, created_at, started_at, finished_at)
    select to_char(t, 'YYYYMMDDHH24MISS') || '_' || g, case when g % 3 = 0 then 'acme' else 'default' end, case when g % 10 = 0 then 2 else 3 end,
      'schedule', 'Total 40,000 of limit 48,500 (82.5%)', t::date, t, t, t + interval '300 milliseconds'
    from generate_series(1, ${runs}) g, lateral (select timestamptz '2025-11-24' + g * ${spacingSeconds} * interval '1 second' as t) at`);
  await db.execute(sql`
    insert into job_log_details (job_log_id, level, source, message, created_at)
    select j.id, 'info', 'SPA', 'SPA: 20,000 job executions in 120 ms (line ' || d || ')', j.created_at + d * interval '1 millisecond'
    from job_logs j, generate_series(1, ${detailsPerRun}) d`);
  await db.execute(sql`
    insert into source_counts (job_log_id, source, count, duration_ms) select id, s, 20000, 120 from job_logs, unnest(array['SPA', 'UPCTM']) s;
    insert into totals (job_log_id, client, business_date, total, "limit", counts) select id, client, business_date, 40000, 48500, '{"SPA": 20000, "UPCTM": 20000}' from job_logs where status = 3;
    analyze`);
}
