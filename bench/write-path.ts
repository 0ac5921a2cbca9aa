/**
 * The writes on one run's path from enqueue to stored, timed one run at a time, each after an idle
 * spell as in the paced latency figure: the product's two (the pending run row before it is
 * queued, the result with the sources' counts) next to the raw flow's one transaction. Both flows
 * make the same BullMQ hops, so at a rate without backlog the product's extra latency is about the
 * difference between these two sums: this part says where the latency gap comes from, in the same
 * run.
 */
import postgres from 'postgres';
import { formatCount } from '../src/format.js';
import { openDatabase } from '../src/persistence/db.js';
import { RunsRepository } from '../src/persistence/runs-repository.js';
import { RunWriter } from '../src/persistence/writer.js';
import { COUNT, insertRawTotal, RAW_SCHEMA, SOURCES } from './flows.js';
import { createScratchDatabase } from './scratch-database.js';

export interface WritePathOptions {
  /** Timed runs per repetition, after `warmUp` untimed ones (new connections, first plans). */
  samples: number;
  warmUp: number;
  /** Periods per second: each flow starts a run every other period. */
  rate: number;
  postgresUrl: string;
}

export const PRODUCT_WRITES = ['run row', 'result'] as const;
export type ProductWrite = (typeof PRODUCT_WRITES)[number];

export interface WritePathResult {
  /** ms per write, in sample order. */
  product: Record<ProductWrite, number[]>;
  /** The raw flow's transaction (1 total + 2 detail rows), in ms. */
  raw: number[];
}

/** About what the BullMQ hand-offs between the two writes take here (fetch jobs moved and picked up, then the aggregate): the connection idles meanwhile. */
const HAND_OFF_MS = 4;

function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** One repetition on a fresh database holding both schemas; product and raw alternate, run by run. */
export async function benchWritePath(options: WritePathOptions): Promise<WritePathResult> {
  const scratch = await createScratchDatabase(options.postgresUrl);
  const database = await openDatabase({ url: scratch.url, dataDir: '/nonexistent', maxConnections: 2 });
  const raw = postgres(scratch.url, { max: 1, onnotice: () => undefined });
  try {
    await database.migrate();
    await raw.unsafe(RAW_SCHEMA);
    const runs = new RunsRepository(database.db);
    const writer = new RunWriter(database.db);
    const result: WritePathResult = { product: { 'run row': [], result: [] }, raw: [] };
    const timed = async <T>(samples: number[] | undefined, write: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const value = await write();
      samples?.push(performance.now() - started);
      return value;
    };
    const sourceCount = (source: string) => ({ source, count: COUNT, metrics: { job_executions: COUNT }, durationMs: 1, line: `${source}: ${formatCount(COUNT)} job executions`, fetchedAt: Date.now() });
    const started = performance.now();
    // Each write comes after an idle spell, as in the paced figure: there a statement after a pause
    // pays for waking its connection, and each flow's runs start a period apart. The flows take
    // turns, a period each.
    const pausedUntil = (period: number) => pause(started + (period * 1000) / options.rate - performance.now());
    for (let index = 0; index < options.warmUp + options.samples; index++) {
      await pausedUntil(2 * index);
      const keep = index >= options.warmUp;
      const now = new Date();
      const { run } = await timed(keep ? result.product['run row'] : undefined, () =>
        runs.createRun({ job: 'license-count', client: 'default', parameters: { sources: [...SOURCES], limit: 48_500 }, trigger: 'api', businessDate: '2026-12-01', firstLine: 'Queued by bench', now }),
      );
      await pause(HAND_OFF_MS);
      await timed(keep ? result.product.result : undefined, () =>
        writer.completeRun(run.id, {
          total: SOURCES.length * COUNT,
          limit: 48_500,
          counts: Object.fromEntries(SOURCES.map((source) => [source, COUNT])),
          client: 'default',
          businessDate: '2026-12-01',
          message: 'Total 40,000',
          lines: [
            { level: 'info', message: 'Total 40,000' },
            { level: 'info', message: 'Succeeded' },
          ],
          sources: SOURCES.map(sourceCount),
        }),
      );
      await pausedUntil(2 * index + 1);
      await timed(keep ? result.raw : undefined, () => insertRawTotal(raw, SOURCES.length * COUNT, now));
    }
    return result;
  } finally {
    await raw.end();
    await database.close();
    await scratch.drop();
  }
}
