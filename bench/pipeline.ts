import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { NODE_FLAGS } from '../src/lifecycle/node-flags.js';
import { openDatabase } from '../src/persistence/db.js';
import { CONCURRENCY, productDriver, RAW_SCHEMA, rawDriver, storedLatencies, type Driver, type Mode } from './flows.js';
import { processCpuMs } from './cpu-usage.js';
import type { WorkerReport, WorkerRequest } from './pipeline-child.js';
import { startBenchChild } from './processes.js';
import { deleteQueueKeys } from './queue-keys.js';
import { createScratchDatabase } from './scratch-database.js';

export interface PipelineSettings {
  postgresUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

export interface RepetitionRequest {
  mode: Mode;
  scenario: 'throughput' | 'paced' | 'burst';
  runs: number;
  /** Runs per second for `paced`. */
  rate?: number;
  /** RSS checkpoints (runs stored) for the memory figure. */
  checkpoints?: number[];
}

export interface RepetitionResult {
  mode: Mode;
  scenario: RepetitionRequest['scenario'];
  runs: number;
  /** First enqueue → last run stored. */
  durationMs: number;
  latenciesMs: number[];
  /** The worker process's RSS: before the first run and at each checkpoint. */
  rss: Record<string, number>;
  /** Its V8 heap in use at the same points. */
  heap: Record<string, number>;
  /** CPU spent until the last run was stored, by part: from the worker's `ready`, the enqueuer's from its first enqueue. */
  cpu: FlowCpu;
}

export interface FlowCpu {
  postgres?: number | undefined;
  redis: number;
  worker: number;
  /** This process, enqueuing as a producer would. */
  enqueuer: number;
}

/**
 * Runs one repetition on a fresh database and queue prefix with a fresh worker process, so no run
 * inherits another's warm caches, leftovers or heap; this process enqueues, as a producer would.
 */
export async function repetition(settings: PipelineSettings, request: RepetitionRequest): Promise<RepetitionResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const scratch = await createScratchDatabase(settings.postgresUrl);
  const databaseUrl = scratch.url;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  const connection = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  let driver: Driver | undefined;
  try {
    if (request.mode === 'product') {
      const database = await openDatabase({ url: databaseUrl, dataDir: '/nonexistent' });
      await database.migrate();
      await database.close();
    } else {
      await sql.unsafe(RAW_SCHEMA);
    }
    const worker = startWorker({ mode: request.mode, runs: request.runs, checkpoints: request.checkpoints ?? [], databaseUrl, redisUrl: settings.redisUrl, prefix });
    await worker.ready;
    driver = request.mode === 'product' ? await productDriver(databaseUrl, connection, prefix) : rawDriver(connection, prefix);
    const started = Date.now();
    const enqueuerAtStart = processCpuMs();
    await drive(request, driver);
    const report = await worker.report;
    const enqueuer = processCpuMs() - enqueuerAtStart;
    return {
      mode: request.mode,
      scenario: request.scenario,
      runs: request.runs,
      durationMs: report.finishedAt - started,
      latenciesMs: await storedLatencies(sql, request.mode),
      rss: report.rss,
      heap: report.heap,
      cpu: { postgres: report.cpu.postgres, redis: report.cpu.redis, worker: report.cpu.process, enqueuer },
    };
  } finally {
    await driver?.close();
    await sql.end();
    await scratch.drop();
    await deleteQueueKeys(connection, prefix);
    connection.disconnect();
  }
}

function startWorker(request: WorkerRequest): { ready: Promise<void>; report: Promise<WorkerReport> } {
  const child = startBenchChild('pipeline-child', request, ['--expose-gc', ...NODE_FLAGS]);
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const report = (async () => {
    let last: WorkerReport | undefined;
    for await (const line of child.lines) {
      if (line === 'ready') markReady();
      else if (line.startsWith('{')) last = JSON.parse(line) as WorkerReport;
    }
    const code = await child.exited;
    if (!last || code !== 0) throw new Error(`bench worker exited with ${code ?? 'a signal'} before reporting`);
    return last;
  })();
  return { ready: Promise.race([ready, report.then(() => undefined)]), report };
}

/** Enqueues `runs` from CONCURRENCY callers as fast as they can, or paced at `rate` per second. */
async function drive(request: RepetitionRequest, driver: Driver): Promise<void> {
  if (request.scenario === 'paced' && request.rate) {
    const interval = 1000 / request.rate;
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let index = 0; index < request.runs; index++) {
      const wait = started + index * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(driver.enqueue());
    }
    await Promise.all(inFlight);
    return;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < request.runs) {
        next++;
        await driver.enqueue();
      }
    }),
  );
}
