/**
 * The worker process of one benchmark repetition, fresh each time: `product` runs jobtally's flow
 * workers, `raw` a bare BullMQ flow of the same shape. Runs are enqueued by another process (the
 * bench itself), as scheduler, dashboard and CLI do in production, so the memory measured here is
 * a worker's. Prints `ready` once listening, then one JSON line when every run is stored, and exits.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import postgres from 'postgres';
import { openApp, startRoles } from '../src/lifecycle/app.js';
import { cpuSpent, readCpuTimes, type CpuTimes } from './cpu-usage.js';
import { benchConfig, CONCURRENCY, insertRawTotal, storedCount, type Mode } from './flows.js';
import { retainedMemory } from './stats.js';

export interface WorkerRequest {
  mode: Mode;
  runs: number;
  /** Runs stored at which to read RSS, for the memory figure. */
  checkpoints: number[];
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
}

export interface WorkerReport {
  /** Epoch ms when the last run was stored, read by this process. */
  finishedAt: number;
  rss: Record<string, number>;
  /** V8 heap in use after the same collections: what the code retains, without RSS's allocator slack. */
  heap: Record<string, number>;
  /** CPU spent from `ready` until the last run was stored: this worker's, Redis's and Postgres's. */
  cpu: CpuTimes;
}

const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest;
const sql = postgres(request.databaseUrl, { max: 4, onnotice: () => undefined });
const connection = new Redis(request.redisUrl, { maxRetriesPerRequest: null });
const logger = pino({ level: 'warn' });

/** The worker role exactly as `jobtally start --role worker` runs it (anomaly check, metrics and all). */
async function productWorkers(): Promise<() => Promise<void>> {
  const config = benchConfig(request.prefix, { databaseUrl: request.databaseUrl, redisUrl: request.redisUrl });
  const app = await openApp(config, logger, { migrate: false, redisRole: 'worker' });
  const running = await startRoles(app, ['worker']);
  return async () => {
    // Graceful, as a SIGTERM is: every run is stored by now, and a forced stop would close the pool
    // under the last runs' anomaly checks (postgres.js then reopens connections to serve them).
    await running.stop(false);
    await app.close();
  };
}

function rawWorkers(): () => Promise<void> {
  const options = { connection, prefix: request.prefix, concurrency: CONCURRENCY };
  const fetch = new Worker('fetch', (job) => Promise.resolve((job.data as { count: number }).count), options);
  const aggregate = new Worker(
    'aggregate',
    async (job) => {
      const values = Object.values(await job.getChildrenValues<number>());
      const total = values.reduce((sum, value) => sum + value, 0);
      await insertRawTotal(sql, total, new Date((job.data as { enqueuedAt: number }).enqueuedAt));
      return total;
    },
    options,
  );
  return () => Promise.all([fetch.close(true), aggregate.close(true)]).then(() => undefined);
}

const stop = request.mode === 'product' ? await productWorkers() : rawWorkers();
const rss: Record<string, number> = {};
const heap: Record<string, number> = {};
async function recordRetained(checkpoint: string): Promise<void> {
  const retained = await retainedMemory();
  heap[checkpoint] = retained.heap;
  rss[checkpoint] = retained.rss;
}

await recordRetained('before');
const cpuAtReady = await readCpuTimes(connection);
process.stdout.write('ready\n');

const checkpoints = [...request.checkpoints];
for (;;) {
  const stored = await storedCount(sql, request.mode);
  while (checkpoints.length > 0 && stored >= (checkpoints[0] ?? Infinity)) await recordRetained(`after ${checkpoints.shift()}`);
  if (stored >= request.runs) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const finishedAt = Date.now();
const report: WorkerReport = { finishedAt, rss, heap, cpu: cpuSpent(cpuAtReady, await readCpuTimes(connection)) };
await stop();
await sql.end();
connection.disconnect();
// Exits explicitly once stopped, as the `start` command does after its shutdown.
process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
