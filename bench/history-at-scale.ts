import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { parseConfig, type Config } from '../src/config/load.js';
import { encodeCursor } from '../src/http/run-query.js';
import { openApp, type AppContext } from '../src/lifecycle/app.js';
import { NODE_FLAGS } from '../src/lifecycle/node-flags.js';
import { queryRows, type Database } from '../src/persistence/db.js';
import { startBenchChild } from './processes.js';
import { deleteQueueKeys } from './queue-keys.js';
import { createScratchDatabase } from './scratch-database.js';
import { percentile, summarize, timeEach, type LatencySummary } from './stats.js';

export interface HistoryOptions {
  runs: number;
  detailsPerRun: number;
  /** Executions of each query for its p50/p99. */
  executions: number;
  /** Seconds of load per HTTP endpoint (and per baseline). */
  httpSeconds: number;
  httpConnections: number;
  postgresUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

export interface QueryRow {
  query: string;
  latency: LatencySummary;
}

export interface HttpRow {
  endpoint: string;
  http: { requestsPerSecond: number; p99: number };
  /** The same repository calls from as many concurrent callers, without HTTP: what the database alone costs. */
  baseline: { requestsPerSecond: number; p99: number };
}

export interface HistoryResult {
  seedSeconds: number;
  /** An indexed primary-key lookup: the floor any query pays (round trip, parse, plan). */
  floor: LatencySummary;
  queries: QueryRow[];
  http: HttpRow[];
}

/** Where the seeded history lives; the web role's process gets the same. */
export interface HistoryServices {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

/** The config of both processes reading the seeded history: this one and the web role's. */
export function historyConfig(services: HistoryServices): Config {
  return parseConfig(
    {
      sources: [
        { name: 'SPA', type: 'static', count: 1 },
        { name: 'UPCTM', type: 'static', count: 2 },
      ],
      queue: { prefix: services.prefix },
      web: { port: 0 },
    },
    { env: { DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl } },
  );
}

/**
 * The dashboard at years of history: seeds a dedicated database with `runs` runs spread over a year,
 * then times every query the dashboard and API issue, directly and over HTTP under load.
 */
export async function benchHistoryAtScale(options: HistoryOptions): Promise<HistoryResult> {
  const scratch = await createScratchDatabase(options.postgresUrl);
  const config = historyConfig({ databaseUrl: scratch.url, redisUrl: options.redisUrl, prefix: `bench-${randomBytes(4).toString('hex')}` });
  const app = await openApp(config, pino({ level: 'warn' }), { migrate: true, redisRole: 'producer', web: true });
  try {
    const started = performance.now();
    await seed(app.database.db, options.runs, options.detailsPerRun, options.log);
    const seedSeconds = (performance.now() - started) / 1000;
    options.log(`seeded ${options.runs.toLocaleString('en')} runs and ${(options.runs * options.detailsPerRun).toLocaleString('en')} details in ${seedSeconds.toFixed(0)} s`);
    const subjects = await pickSubjects(app.database.db, options.runs);
    const calls = dashboardCalls(app, subjects);

    const [floorId] = await queryRows<{ id: number }>(app.database.db, sql`select id from job_logs order by id limit 1 offset ${Math.floor(options.runs / 3)}`);
    const floorCall = () => app.runs.findById(floorId?.id ?? 1);
    await timeEach(20, floorCall);
    const floor = summarize(await timeEach(options.executions, floorCall));
    const queries: QueryRow[] = [];
    for (const [query, call] of Object.entries(calls.queries)) {
      await timeEach(20, call);
      const latency = summarize(await timeEach(options.executions, call));
      queries.push({ query, latency });
      options.log(`${query}: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);
    }

    const web = await startWebChild({ databaseUrl: scratch.url, redisUrl: options.redisUrl, prefix: config.queue.prefix });
    const http: HttpRow[] = [];
    try {
      for (const endpoint of calls.endpoints) {
        const baseline = await concurrentLoad(endpoint.baseline, options.httpConnections, options.httpSeconds);
        const measured = await loadHttp(`${web.url}${endpoint.path}`, options.httpConnections, options.httpSeconds);
        http.push({ endpoint: endpoint.name, http: measured, baseline });
        options.log(`${endpoint.name}: ${measured.requestsPerSecond.toFixed(0)} req/s, p99 ${measured.p99} ms (database alone: ${baseline.requestsPerSecond.toFixed(0)}/s, p99 ${baseline.p99.toFixed(1)} ms)`);
      }
    } finally {
      await web.stop();
    }
    return { seedSeconds, floor, queries, http };
  } finally {
    // The web role's queues and this process's wrote their meta keys under the prefix.
    await deleteQueueKeys(app.connection, config.queue.prefix);
    await app.close();
    await scratch.drop();
  }
}

interface Subjects {
  deepCursor: { value: string; id: number };
  runName: string;
  day: { since: Date; until: Date };
  yearAgo: string;
}

async function pickSubjects(db: Database, runs: number): Promise<Subjects> {
  const [deep] = await queryRows<{ created_at: string | Date; id: number }>(db, sql`select created_at, id from job_logs order by created_at desc, id desc offset ${Math.floor(runs * 0.9)} limit 1`);
  const [middle] = await queryRows<{ name: string; created_at: string | Date }>(db, sql`select name, created_at from job_logs order by id offset ${Math.floor(runs / 2)} limit 1`);
  const [latest] = await queryRows<{ business_date: string }>(db, sql`select max(business_date)::text as business_date from daily_figures`);
  if (!deep || !middle || !latest) throw new Error('the seed produced no runs');
  const dayStart = new Date(middle.created_at);
  dayStart.setUTCHours(0, 0, 0, 0);
  const yearAgo = new Date(Date.parse(`${latest.business_date}T00:00:00Z`) - 364 * 86_400_000).toISOString().slice(0, 10);
  return {
    deepCursor: { value: new Date(deep.created_at).toISOString(), id: deep.id },
    runName: middle.name,
    day: { since: dayStart, until: new Date(dayStart.getTime() + 86_400_000) },
    yearAgo,
  };
}

/** Exactly what the pages and the API ask the repository for. */
function dashboardCalls(app: AppContext, subjects: Subjects) {
  const page = { limit: 50 };
  const queries = {
    'counts by status': () => app.runs.statusCounts(),
    'first page': () => app.runs.listRuns({}, page),
    'page filtered by status and client': () => app.runs.listRuns({ status: ['error'], client: 'acme' }, page),
    'deep page (90%, keyset)': () => app.runs.listRuns({}, { ...page, cursor: subjects.deepCursor }),
    "one day's runs": () => app.runs.listRuns({ since: subjects.day.since, until: subjects.day.until }, page),
    'one run with its details': () => app.runs.getDetail(subjects.runName),
    'totals series, 365 days': () => app.runs.dailyTotals({ since: subjects.yearAgo }),
  };
  const endpoints = [
    { name: '/runs', path: '/runs', baseline: () => Promise.all([queries['first page'](), queries['counts by status']()]) },
    {
      name: '/runs?status=error&client=acme',
      path: '/runs?status=error&client=acme',
      baseline: () => Promise.all([queries['page filtered by status and client'](), app.runs.statusCounts('acme')]),
    },
    { name: '/runs/<id>', path: `/runs/${subjects.runName}`, baseline: queries['one run with its details'] },
    { name: '/api/runs', path: '/api/runs', baseline: queries['first page'] },
    { name: `/runs?cursor=<deep page>`, path: `/runs?cursor=${encodeCursor(subjects.deepCursor)}`, baseline: () => Promise.all([queries['deep page (90%, keyset)'](), queries['counts by status']()]) },
  ];
  return { queries, endpoints };
}

/** The web role in its own process; stopped (and its in-flight requests finished) before the database goes. */
async function startWebChild(request: HistoryServices): Promise<{ url: string; stop(): Promise<void> }> {
  const child = startBenchChild('web-child', request, NODE_FLAGS);
  for await (const line of child.lines) {
    const { url } = JSON.parse(line) as { url: string };
    return {
      url,
      async stop() {
        child.process.kill('SIGTERM');
        await child.exited;
      },
    };
  }
  throw new Error(`the bench web process exited with ${String(await child.exited)} before listening`);
}

async function loadHttp(url: string, connections: number, seconds: number): Promise<{ requestsPerSecond: number; p99: number }> {
  await autocannon({ url, amount: 20, connections: 1 });
  const result = await autocannon({ url, connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p99: result.latency.p99 };
}

/** `callers` loops calling `call` back to back for `seconds`, like autocannon's connections. */
async function concurrentLoad(call: () => Promise<unknown>, callers: number, seconds: number): Promise<{ requestsPerSecond: number; p99: number }> {
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await call();
        samples.push(performance.now() - started);
      }
    }),
  );
  samples.sort((left, right) => left - right);
  return { requestsPerSecond: samples.length / seconds, p99: percentile(samples, 0.99) };
}

/**
 * Runs spread over a year (10% failed, a third for client acme), each with its details, two
 * counts and, when successful, a total. One set-based statement per table; `analyze` and a
 * checkpoint at the end.
 */
async function seed(db: Database, runs: number, detailsPerRun: number, log: (line: string) => void): Promise<void> {
  const spacingMs = Math.max(1, Math.floor((365 * 86_400_000) / runs));
  await db.execute(sql`
    insert into job_logs (name, client, status, trigger, message, business_date, created_at, started_at, finished_at)
    select to_char(t, 'YYYYMMDDHH24MISS') || '_' || g, case when g % 3 = 0 then 'acme' else 'default' end, case when g % 10 = 0 then 2 else 3 end,
      'schedule', 'Total 40,000 of limit 48,500 (82.5%)', (t at time zone 'UTC')::date, t, t, t + interval '300 milliseconds'
    from generate_series(1, ${runs}) g, lateral (select timestamptz '2025-11-24 00:00:00+00' + (g::float8 * ${spacingMs}) * interval '1 millisecond' as t) at`);
  log(`  job_logs: ${runs.toLocaleString('en')} rows`);
  // Details in chunks so one statement never holds millions of rows in memory.
  const chunk = 100_000;
  for (let from = 1; from <= runs; from += chunk) {
    await db.execute(sql`
      insert into job_log_details (job_log_id, level, source, message, created_at)
      select j.id, 'info', 'SPA', 'SPA: 20,000 job executions in 120 ms (line ' || d || ')', j.created_at + d * interval '1 millisecond'
      from job_logs j, generate_series(1, ${detailsPerRun}) d where j.id between ${from} and ${from + chunk - 1}`);
  }
  log(`  job_log_details: ${(runs * detailsPerRun).toLocaleString('en')} rows`);
  await db.execute(sql`insert into source_counts (job_log_id, source, count, duration_ms) select id, s, 20000, 120 from job_logs, unnest(array['SPA', 'UPCTM']) s`);
  await db.execute(sql`
    insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
    select id, client, business_date, 40000, 48500, '{"SPA": 20000, "UPCTM": 20000}', finished_at, name from job_logs where status = 3`);
  await db.execute(sql`vacuum analyze`);
  // The seed leaves gigabytes of WAL behind: without a checkpoint now, one runs through the
  // measurements below, and its writes, not the queries, set their p99.
  await db.execute(sql`checkpoint`);
}
