/**
 * The two flows the pipeline benchmark compares, as the processes that drive and work them see
 * them: `product` is jobtally (RunProducer, flow workers, writer), `raw` a bare BullMQ flow of the
 * same shape (parent + 2 children with failParentOnFailure, the parent sums getChildrenValues and
 * stores 1 total + 2 detail rows in one transaction). Same concurrency, same services.
 */
import { FlowProducer } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Sql } from 'postgres';
import { parseConfig, type Config } from '../src/config/load.js';
import { RunProducer } from '../src/flow/producer.js';
import { databasePoolSize, warmUpRoles } from '../src/lifecycle/app.js';
import { openDatabase } from '../src/persistence/db.js';
import { RunsRepository } from '../src/persistence/runs-repository.js';
import { RunWriter } from '../src/persistence/writer.js';
import { createQueueSet } from '../src/queues/queues.js';

export type Mode = 'product' | 'raw';

export const CONCURRENCY = 20;
/** Both flows' sources, each counting `COUNT`. */
export const SOURCES = ['SPA', 'UPCTM'] as const;
export const COUNT = 20_000;

export function benchConfig(prefix: string, services: { databaseUrl?: string; redisUrl?: string } = {}): Config {
  return parseConfig(
    {
      sources: SOURCES.map((name) => ({ name, type: 'static', count: COUNT })),
      queue: { prefix, fetchConcurrency: CONCURRENCY, aggregateConcurrency: CONCURRENCY },
    },
    { env: { ...(services.databaseUrl ? { DATABASE_URL: services.databaseUrl } : {}), ...(services.redisUrl ? { REDIS_URL: services.redisUrl } : {}) } },
  );
}

export const RAW_SCHEMA = `
  create table raw_totals (id bigint generated always as identity primary key, total bigint not null, enqueued_at timestamptz(3) not null, created_at timestamptz(3) not null default clock_timestamp());
  create table raw_details (id bigint generated always as identity primary key, total_id bigint not null references raw_totals(id), message text not null, created_at timestamptz(3) not null default clock_timestamp());`;

export async function insertRawTotal(sql: Sql, total: number, enqueuedAt: Date): Promise<void> {
  await sql.begin(async (transaction) => {
    const [row] = await transaction<{ id: number }[]>`insert into raw_totals (total, enqueued_at) values (${total}, ${enqueuedAt}) returning id`;
    await transaction`insert into raw_details (total_id, message) values (${row?.id ?? 0}, 'SPA counted'), (${row?.id ?? 0}, 'UPCTM counted')`;
  });
}

export async function storedCount(sql: Sql, mode: Mode): Promise<number> {
  const [row] = await sql.unsafe<{ count: number }[]>(`select count(*)::int as count from ${mode === 'product' ? 'totals' : 'raw_totals'}`);
  return row?.count ?? 0;
}

/** Enqueue → stored, in ms, in enqueue order, read from the stored rows (one clock: the database's, or this host's). */
export async function storedLatencies(sql: Sql, mode: Mode): Promise<number[]> {
  const rows =
    mode === 'product'
      ? await sql<{ ms: number }[]>`select extract(epoch from (t.created_at - j.created_at)) * 1000 as ms from totals t join job_logs j on j.id = t.job_log_id order by j.created_at, j.id`
      : await sql<{ ms: number }[]>`select extract(epoch from (created_at - enqueued_at)) * 1000 as ms from raw_totals order by enqueued_at, id`;
  return rows.map((row) => Number(row.ms));
}

export interface Driver {
  enqueue(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Enqueues as production does: RunProducer.enqueueRun, the one way runs start, from a process
 * that creates runs and nothing else (the scheduler role): its pool sized and warmed up as that
 * role's is at start.
 */
export async function productDriver(databaseUrl: string, connection: Redis, prefix: string): Promise<Driver> {
  const config = benchConfig(prefix);
  const logger = pino({ level: 'warn' });
  const database = await openDatabase({ url: databaseUrl, dataDir: '/nonexistent', maxConnections: databasePoolSize({ web: false }) });
  await warmUpRoles(database, config, ['scheduler']);
  const queueSet = createQueueSet(connection, prefix, logger);
  const runs = new RunsRepository(database.db);
  const producer = new RunProducer({ config, runs, writer: new RunWriter(database.db), flows: queueSet.flows, logger });
  return {
    enqueue: () => producer.enqueueRun({ trigger: 'api' }),
    async close() {
      await queueSet.close();
      await database.close();
    },
  };
}

export function rawDriver(connection: Redis, prefix: string): Driver {
  const flowProducer = new FlowProducer({ connection, prefix });
  let sequence = 0;
  return {
    enqueue() {
      const id = `r${++sequence}`;
      return flowProducer.add({
        name: 'aggregate',
        queueName: 'aggregate',
        data: { enqueuedAt: Date.now() },
        opts: { jobId: id },
        children: SOURCES.map((source) => ({ name: 'fetch', queueName: 'fetch', data: { count: COUNT }, opts: { jobId: `${id}.${source}`, failParentOnFailure: true } })),
      });
    },
    close: () => flowProducer.close(),
  };
}
