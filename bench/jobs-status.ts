import { NODE_FLAGS } from '../src/lifecycle/node-flags.js';
import { jobRows } from './controlm-answer.js';
import type { ReadReport, ReadRequest, ReadVariant } from './jobs-status-child.js';
import { startBenchChild } from './processes.js';

export interface JobsStatusPlan {
  rows: number;
  repetitions: number;
}

export interface JobsStatusResult {
  rows: number;
  bytes: number;
  /** Each variant's report: floor (bytes read, not parsed), bare (@streamparser/json), product. */
  reports: Record<ReadVariant, ReadReport>;
}

const VARIANTS: readonly ReadVariant[] = ['floor', 'bare', 'product'];
/** The order date of the answer's rows, and the business date the product's run counts. */
const BUSINESS_DATE = '2026-11-24';

/**
 * The jobs-status figure: a Control-M answer of `rows` real-shaped rows, served by a process of its
 * own, read by each variant in a fresh process with the services' node flags, `repetitions` times.
 * Every repetition's result is checked: the bytes, the rows parsed, the executions counted.
 */
export async function benchJobsStatus(plan: JobsStatusPlan, log: (line: string) => void): Promise<JobsStatusResult> {
  const server = startBenchChild('controlm-child', { rows: plan.rows, orderDate: BUSINESS_DATE.slice(2).replaceAll('-', '') });
  try {
    const endpoint = await firstLine(server.lines, (line) => (JSON.parse(line) as { endpoint: string }).endpoint);
    const reports = {} as Record<ReadVariant, ReadReport>;
    for (const variant of VARIANTS) {
      const request: ReadRequest = { variant, endpoint, repetitions: plan.repetitions, businessDate: BUSINESS_DATE };
      const child = startBenchChild('jobs-status-child', request, ['--expose-gc', ...NODE_FLAGS]);
      const report = await firstLine(child.lines, (line) => JSON.parse(line) as ReadReport);
      const code = await child.exited;
      if (code !== 0) throw new Error(`the jobs-status ${variant} reader exited with ${code ?? 'a signal'}`);
      reports[variant] = report;
      log(`  jobs-status ${variant}: ${report.repetitions.map((repetition) => `${repetition.seconds.toFixed(1)} s`).join(', ')}; peak RSS ${report.peakRssMb.toFixed(0)} MB`);
    }
    const bytes = reports.floor.repetitions[0]?.result ?? Number.NaN;
    const expected: Record<ReadVariant, number> = { floor: bytes, bare: plan.rows, product: jobRows(plan.rows) };
    for (const variant of VARIANTS) {
      const wrong = reports[variant].repetitions.find((repetition) => repetition.result !== expected[variant]);
      if (wrong) throw new Error(`jobs-status ${variant} read ${wrong.result}, expected ${expected[variant]}: the figure would compare different work`);
    }
    return { rows: plan.rows, bytes, reports };
  } finally {
    server.process.kill('SIGTERM');
    await server.exited;
  }
}

async function firstLine<T>(lines: AsyncIterable<string>, read: (line: string) => T): Promise<T> {
  for await (const line of lines) if (line.startsWith('{')) return read(line);
  throw new Error('a bench process exited before reporting');
}
