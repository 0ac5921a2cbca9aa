/**
 * One benchmark repetition in a fresh process: `product` runs the real jobtally flow, `raw` a bare
 * BullMQ flow of the same shape. Prints one JSON line with the measurements and exits.
 */
import { FlowProducer, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import postgres from 'postgres';
import { parseConfig } from '../src/config/load.js';
import { RunProducer } from '../src/flow/producer.js';
import { startFlowWorkers } from '../src/flow/workers.js';
import { createSources } from '../src/lifecycle/app.js';
import { logAlertSink } from '../src/notify/events.js';
import { openDatabase } from '../src/persistence/db.js';
import { RunsRepository } from '../src/persistence/runs-repository.js';
import { RunWriter } from '../src/persistence/writer.js';
import { createQueueSet } from '../src/queues/queues.js';

export interface ChildRequest {
  mode: 'product' | 'raw';
  scenario: 'throughput' | 'paced' | 'burst';
  runs: number;
  /** Runs per second for `paced`. */
  rate?: number;
  /** RSS checkpoints (runs done) for the memory figure. */
  checkpoints?: number[];
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export interface ChildResult {
  mode: 'product' | 'raw';
  scenario: string;
  runs: number;
  durationMs: number;
  latenciesMs: number[];
  rss: Record<string, number>;
}

const CONCURRENCY = 20;
const request = JSON.parse(process.argv[2] ?? '{}') as ChildRequest;
const sql = postgres(request.databaseUrl, { max: 4, onnotice: () => undefined });
const connection = new Redis(request.redisUrl, { maxRetriesPerRequest: null });
const logger = pino({ level: 'warn' });

async function countStored(): Promise<number> {
  const table = request.mode === 'product' ? 'totals' : 'raw_totals';
  const [row] = await sql.unsafe<{ count: number }[]>(`select count(*)::int as count from ${table}`);
  return row?.count ?? 0;
}

async function waitStored(expected: number, rss: Record<string, number>, checkpoints: number[]): Promise<void> {
  const pending = [...checkpoints];
  for (;;) {
    const stored = await countStored();
    while (pending.length > 0 && stored >= (pending[0] ?? Infinity)) rss[`after ${pending.shift()}`] = process.memoryUsage().rss;
    if (stored >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function latencies(): Promise<number[]> {
  const rows =
    request.mode === 'product'
      ? await sql<{ ms: number }[]>`select extract(epoch from (t.created_at - j.created_at)) * 1000 as ms from totals t join job_logs j on j.id = t.job_log_id`
      : await sql<{ ms: number }[]>`select extract(epoch from (created_at - enqueued_at)) * 1000 as ms from raw_totals`;
  return rows.map((row) => Number(row.ms));
}

/** Enqueues `runs` with `enqueue`, from CONCURRENCY callers, or paced at `rate` per second. */
async function drive(enqueue: () => Promise<unknown>): Promise<void> {
  if (request.scenario === 'paced' && request.rate) {
    const interval = 1000 / request.rate;
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let index = 0; index < request.runs; index++) {
      const due = started + index * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(enqueue());
    }
    await Promise.all(inFlight);
    return;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < request.runs) {
        next++;
        await enqueue();
      }
    }),
  );
}

async function product(): Promise<() => Promise<void>> {
  const config = parseConfig({
    sources: [
      { name: 'SPA', type: 'static', count: 20_000 },
      { name: 'UPCTM', type: 'static', count: 20_000 },
    ],
    queue: { prefix: request.prefix, fetchConcurrency: CONCURRENCY, aggregateConcurrency: CONCURRENCY },
  });
  const database = await openDatabase({ url: request.databaseUrl, dataDir: '/nonexistent', maxConnections: CONCURRENCY });
  const queueSet = createQueueSet(connection, request.prefix, logger);
  const runs = new RunsRepository(database.db);
  const writer = new RunWriter(database.db);
  const producer = new RunProducer({ config, runs, writer, flowProducer: queueSet.flowProducer, logger });
  const workers = startFlowWorkers({ connection, prefix: request.prefix, logger }, config, { writer, sources: createSources(config), alerts: logAlertSink(logger), logger, nearLimitPercent: 101 });
  rssBaseline = process.memoryUsage().rss;
  await drive(() => producer.enqueueRun({ trigger: 'api' }));
  return async () => {
    await workers.close(true);
    await queueSet.close();
    await database.close();
  };
}

async function raw(): Promise<() => Promise<void>> {
  const flowProducer = new FlowProducer({ connection, prefix: request.prefix });
  const options = { connection, prefix: request.prefix, concurrency: CONCURRENCY };
  const fetch = new Worker('fetch', (job) => Promise.resolve((job.data as { count: number }).count), options);
  const aggregate = new Worker(
    'aggregate',
    async (job) => {
      const values = Object.values(await job.getChildrenValues<number>());
      const total = values.reduce((sum, value) => sum + value, 0);
      const enqueuedAt = new Date((job.data as { enqueuedAt: number }).enqueuedAt);
      await sql.begin(async (transaction) => {
        const [row] = await transaction<{ id: number }[]>`insert into raw_totals (total, enqueued_at) values (${total}, ${enqueuedAt}) returning id`;
        await transaction`insert into raw_details (total_id, message) values (${row?.id ?? 0}, 'SPA counted'), (${row?.id ?? 0}, 'UPCTM counted')`;
      });
      return total;
    },
    options,
  );
  rssBaseline = process.memoryUsage().rss;
  let sequence = 0;
  await drive(() => {
    const id = `r${++sequence}`;
    return flowProducer.add({
      name: 'aggregate',
      queueName: 'aggregate',
      data: { enqueuedAt: Date.now() },
      opts: { jobId: id },
      children: ['SPA', 'UPCTM'].map((source) => ({ name: 'fetch', queueName: 'fetch', data: { count: 20_000 }, opts: { jobId: `${id}.${source}`, failParentOnFailure: true } })),
    });
  });
  return async () => {
    await Promise.all([fetch.close(true), aggregate.close(true)]);
    await flowProducer.close();
  };
}

let rssBaseline = 0;
const started = performance.now();
const rss: Record<string, number> = {};
const stop = request.mode === 'product' ? await product() : await raw();
rss.before = rssBaseline;
await waitStored(request.runs, rss, request.checkpoints ?? []);
const durationMs = performance.now() - started;
const result: ChildResult = { mode: request.mode, scenario: request.scenario, runs: request.runs, durationMs, latenciesMs: await latencies(), rss };
await stop();
await sql.end();
connection.disconnect();
process.stdout.write(`${JSON.stringify(result)}\n`);
