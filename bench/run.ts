import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { benchHistoryAtScale } from './history-at-scale.js';
import { benchJobsStatus } from './jobs-status.js';
import { repetition, type FlowCpu, type PipelineSettings, type RepetitionRequest, type RepetitionResult } from './pipeline.js';
import { formatMs, markdownTable, percentile, summarize, table } from './stats.js';
import { benchWritePath, PRODUCT_WRITES, type WritePathResult } from './write-path.js';
import type { ReadReport, ReadRepetition } from './jobs-status-child.js';

/**
 * `npm run bench [-- --quick] [-- --only throughput,paced,writes,burst,memory,history,jobs-status]`.
 * Every product figure sits next to a baseline measured in the same invocation on the same Redis and
 * Postgres (a bare BullMQ flow of the same shape, or the bare database query), alternating which
 * goes first, so machine noise hits both; jobs-status sits next to a bare JSON parse of the same
 * bytes and the transfer floor.
 */
const quick = process.argv.includes('--quick');
const PARTS = ['throughput', 'paced', 'writes', 'burst', 'memory', 'history', 'jobs-status'] as const;
type Part = (typeof PARTS)[number];
const onlyIndex = process.argv.indexOf('--only');
const selected = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',') : [...PARTS];
const unknownParts = selected.filter((part) => !(PARTS as readonly string[]).includes(part));
if (unknownParts.length > 0) throw new Error(`unknown bench part ${unknownParts.join(', ')}: use ${PARTS.join(', ')}`);
const runs = (part: Part) => selected.includes(part);
const settings: PipelineSettings = {
  postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  log: (line) => process.stderr.write(`${line}\n`),
};
const plan = quick
  ? { repetitions: 1, throughputRuns: 300, paced: [{ rate: 50, seconds: 5 }], writeSamples: 150, burstRuns: 200, memoryRuns: 1000, memoryCheckpoints: [200, 1000], warmUpSeconds: 1, history: { runs: 20_000, detailsPerRun: 10, executions: 50, httpSeconds: 2, httpConnections: 20 }, jobsStatus: { rows: 100_000, repetitions: 2 } }
  : { repetitions: 3, throughputRuns: 2000, paced: [{ rate: 50, seconds: 30 }, { rate: 200, seconds: 30 }], writeSamples: 500, burstRuns: 1000, memoryRuns: 10_000, memoryCheckpoints: [1000, 10_000], warmUpSeconds: 5, history: { runs: 1_000_000, detailsPerRun: 20, executions: 200, httpSeconds: 15, httpConnections: 20 }, jobsStatus: { rows: 1_000_000, repetitions: 3 } };
settings.log(`jobtally bench${quick ? ' (quick)' : ''}: ${JSON.stringify(plan)}`);
const started = performance.now();

type Spread = [number, number, number];
type CpuPart = keyof FlowCpu;
const CPU_PARTS: readonly CpuPart[] = ['postgres', 'redis', 'worker', 'enqueuer'];
const spread = (values: number[]): Spread => {
  const sorted = [...values].sort((left, right) => left - right);
  return [sorted[0] ?? Number.NaN, percentile(sorted, 0.5), sorted.at(-1) ?? Number.NaN];
};
const show = ([min, median, max]: Spread, digits = 1) => (min === max ? median.toFixed(digits) : `${median.toFixed(digits)} (${min.toFixed(digits)}-${max.toFixed(digits)})`);

/** Runs product and raw `repetitions` times each, alternating which one goes first. */
async function both(request: Omit<RepetitionRequest, 'mode'>): Promise<{ product: RepetitionResult[]; raw: RepetitionResult[] }> {
  const results = { product: [] as RepetitionResult[], raw: [] as RepetitionResult[] };
  for (let index = 0; index < plan.repetitions; index++) {
    const order: ('product' | 'raw')[] = index % 2 === 0 ? ['raw', 'product'] : ['product', 'raw'];
    for (const mode of order) {
      const result = await repetition(settings, { ...request, mode });
      results[mode].push(result);
      settings.log(`  ${request.scenario} ${mode} #${index + 1}: ${result.runs} runs in ${(result.durationMs / 1000).toFixed(1)} s`);
    }
  }
  return results;
}

/**
 * CPU per run, by part, over a scenario's repetitions. When the flows keep every core busy,
 * raw's total over the product's is about the throughput ratio; at a paced rate, the rate times
 * the total is how many cores a flow keeps busy, and a flow near all of them queues.
 */
function cpuPerRun(results: { product: RepetitionResult[]; raw: RepetitionResult[] }): { parts: CpuPart[]; product: { text: string; total: number }; raw: { text: string; total: number } } {
  const parts = CPU_PARTS.filter((part) => [...results.product, ...results.raw].every((result) => result.cpu[part] !== undefined));
  const perRun = (result: RepetitionResult, part: CpuPart) => (result.cpu[part] ?? Number.NaN) / result.runs;
  const describe = (list: RepetitionResult[]) => {
    const medians = parts.map((part) => spread(list.map((result) => perRun(result, part)))[1]);
    const total = spread(list.map((result) => parts.reduce((sum, part) => sum + perRun(result, part), 0)));
    return { text: `${medians.map((median) => median.toFixed(2)).join(' + ')} = ${show(total, 2)}`, total: total[1] };
  };
  return { parts, product: describe(results.product), raw: describe(results.raw) };
}

const rows: string[][] = [];
const record: Record<string, unknown> = { date: new Date().toISOString(), plan };

if (runs('throughput')) {
  const throughput = await both({ scenario: 'throughput', runs: plan.throughputRuns });
  const rate = (results: RepetitionResult[]) => spread(results.map((result) => result.runs / (result.durationMs / 1000)));
  const productRate = rate(throughput.product);
  const rawRate = rate(throughput.raw);
  rows.push([`throughput, ${plan.throughputRuns} runs (runs/s)`, show(productRate), show(rawRate), `${((productRate[1] / rawRate[1]) * 100).toFixed(0)}% of raw`]);
  const cpu = cpuPerRun(throughput);
  rows.push([`CPU per run during throughput: ${cpu.parts.join(' + ')} (ms)`, cpu.product.text, cpu.raw.text, `raw/product ${((cpu.raw.total / cpu.product.total) * 100).toFixed(0)}%`]);
  record.throughput = throughput;
}

if (runs('paced')) {
  for (const pace of plan.paced) {
    const results = await both({ scenario: 'paced', runs: pace.rate * pace.seconds, rate: pace.rate });
    // The last row leaves out each fresh worker's first seconds (its JIT and its new database
    // connections warming up): it is not the target figure, it tells cold start from steady state.
    const warm = plan.warmUpSeconds * pace.rate;
    for (const [label, fraction, skip] of [['p50', 0.5, 0], ['p95', 0.95, 0], ['p99', 0.99, 0], [`p99 after the first ${plan.warmUpSeconds} s`, 0.99, warm]] as const) {
      const at = (list: RepetitionResult[]) => spread(list.map((result) => percentile(result.latenciesMs.slice(skip).sort((left, right) => left - right), fraction)));
      const product = at(results.product);
      const raw = at(results.raw);
      rows.push([`latency at ${pace.rate} runs/s, ${label} (ms)`, show(product), show(raw), `${(product[1] / raw[1]).toFixed(2)}x raw`]);
    }
    const cpu = cpuPerRun(results);
    const cores = (msPerRun: number) => ((msPerRun * pace.rate) / 1000).toFixed(2);
    rows.push([
      `CPU per run at ${pace.rate} runs/s: ${cpu.parts.join(' + ')} (ms)`,
      cpu.product.text,
      cpu.raw.text,
      `cores busy: ${cores(cpu.product.total)} vs ${cores(cpu.raw.total)} of ${availableParallelism()}`,
    ]);
    record[`paced ${pace.rate}`] = results;
  }
}

/** The lower paced rate, where the latency gap is all the flows' own work, with no queueing: the writes are timed at its period. */
const WRITE_RATE = 50;

if (runs('writes')) {
  const repetitions: WritePathResult[] = [];
  for (let index = 0; index < plan.repetitions; index++) repetitions.push(await benchWritePath({ samples: plan.writeSamples, warmUp: 50, rate: WRITE_RATE, postgresUrl: settings.postgresUrl }));
  const summaries = repetitions.map((result) => ({ product: PRODUCT_WRITES.map((write) => summarize(result.product[write])), raw: summarize(result.raw) }));
  for (const label of ['p50', 'p99'] as const) {
    const writes = PRODUCT_WRITES.map((_, index) => spread(summaries.map((summary) => summary.product[index]?.[label] ?? Number.NaN)));
    const sum = spread(summaries.map((summary) => summary.product.reduce((total, write) => total + write[label], 0)));
    const raw = spread(summaries.map((summary) => summary.raw[label]));
    rows.push([
      `writes on a run's path, one run at a time, each write after an idle spell, ${label}: ${PRODUCT_WRITES.join(' + ')} (ms)`,
      `${writes.map(([, median]) => median.toFixed(1)).join(' + ')} = ${show(sum)}`,
      `${show(raw)} (one transaction)`,
      `+${(sum[1] - raw[1]).toFixed(1)} ms per run`,
    ]);
  }
  record.writes = repetitions;
}

if (runs('burst')) {
  const burst = [] as RepetitionResult[];
  for (let index = 0; index < plan.repetitions; index++) burst.push(await repetition(settings, { mode: 'product', scenario: 'burst', runs: plan.burstRuns }));
  rows.push([`burst: ${plan.burstRuns} enqueues from 20 callers until all stored (s)`, show(spread(burst.map((result) => result.durationMs / 1000)), 2), '-', '-']);
  record.burst = burst;
}

if (runs('memory')) {
  const memory = await both({ scenario: 'throughput', runs: plan.memoryRuns, checkpoints: plan.memoryCheckpoints });
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  const keys = ['before', ...plan.memoryCheckpoints.map((point) => `after ${point}`)];
  const checkpoints = `before / after ${plan.memoryCheckpoints.join(' / after ')} runs (MB)`;
  for (const [figure, reading] of [
    ['worker RSS', (result: RepetitionResult) => result.rss],
    ['worker heap in use', (result: RepetitionResult) => result.heap],
  ] as const) {
    const median = (results: RepetitionResult[], key: string) => percentile(results.map((result) => reading(result)[key] ?? Number.NaN).sort((left, right) => left - right), 0.5);
    const row = (results: RepetitionResult[]) => keys.map((key) => mb(median(results, key))).join(' / ');
    const growth = median(memory.product, keys.at(-1) ?? 'before') - median(memory.product, keys[1] ?? 'before');
    rows.push([`${figure} after GC, ${checkpoints}`, row(memory.product), row(memory.raw), `${mb(growth)} MB from ${plan.memoryCheckpoints[0]} to ${plan.memoryCheckpoints.at(-1)} runs`]);
  }
  record.memory = { product: memory.product.map(({ rss, heap }) => ({ rss, heap })), raw: memory.raw.map(({ rss, heap }) => ({ rss, heap })) };
}

if (runs('history')) {
  const history = await benchHistoryAtScale({ ...plan.history, ...settings });
  const atScale = `${plan.history.runs.toLocaleString('en')} runs`;
  rows.push([`seed ${atScale} and ${(plan.history.runs * plan.history.detailsPerRun).toLocaleString('en')} details (s)`, history.seedSeconds.toFixed(0), '-', '-']);
  for (const row of history.queries) {
    rows.push([`query at ${atScale}: ${row.query}, p50 / p99 (ms)`, `${formatMs(row.latency.p50)} / ${formatMs(row.latency.p99)}`, `${formatMs(history.floor.p50)} / ${formatMs(history.floor.p99)} (pk lookup)`, row.latency.p99 < 10 ? 'p99 < 10 ms' : 'p99 >= 10 ms']);
  }
  for (const row of history.http) {
    rows.push([
      `HTTP at ${atScale}: ${row.endpoint}, ${plan.history.httpConnections} connections: req/s, p99 (ms)`,
      `${row.http.requestsPerSecond.toFixed(0)}, ${formatMs(row.http.p99)}`,
      `${row.baseline.requestsPerSecond.toFixed(0)}, ${formatMs(row.baseline.p99)} (db only)`,
      row.http.p99 < 50 ? 'p99 < 50 ms' : 'p99 >= 50 ms',
    ]);
  }
  record.history = history;
}

/** The jobs-status figure is also written on its own: a full bench takes a quarter of an hour, this part a few minutes. */
const jobsStatusRows: string[][] = [];
if (runs('jobs-status')) {
  const jobsStatus = await benchJobsStatus(plan.jobsStatus, settings.log);
  const { floor, bare, product } = jobsStatus.reports;
  const rowsPerSecond = (report: ReadReport) => spread(report.repetitions.map((repetition) => jobsStatus.rows / repetition.seconds));
  const megabytesPerSecond = (report: ReadReport) => spread(report.repetitions.map((repetition) => jobsStatus.bytes / 1024 / 1024 / repetition.seconds));
  const answer = `jobs-status: a ${jobsStatus.rows.toLocaleString('en')}-row answer (${(jobsStatus.bytes / 1024 / 1024).toFixed(0)} MB) from a local server, counted while streaming`;
  const productRate = rowsPerSecond(product);
  const bareRate = rowsPerSecond(bare);
  jobsStatusRows.push([`${answer} (rows/s)`, show(productRate, 0), `${show(bareRate, 0)} (bare parse)`, `${(productRate[1] / bareRate[1]).toFixed(1)}x bare parse; floor ${show(rowsPerSecond(floor), 0)}`]);
  const productSpeed = megabytesPerSecond(product);
  const bareSpeed = megabytesPerSecond(bare);
  jobsStatusRows.push([`${answer} (MB/s)`, show(productSpeed), `${show(bareSpeed)} (bare parse)`, `${(productSpeed[1] / bareSpeed[1]).toFixed(1)}x bare parse; floor ${show(megabytesPerSecond(floor))}`]);
  const rowsPerCpuSecond = (report: ReadReport) => spread(report.repetitions.map((repetition) => jobsStatus.rows / repetition.cpuSeconds));
  const productCpu = rowsPerCpuSecond(product);
  const bareCpu = rowsPerCpuSecond(bare);
  jobsStatusRows.push([`jobs-status: rows per CPU second of the reading process`, show(productCpu, 0), `${show(bareCpu, 0)} (bare parse)`, `${(productCpu[1] / bareCpu[1]).toFixed(1)}x bare parse; floor ${show(rowsPerCpuSecond(floor), 0)}`]);
  jobsStatusRows.push([`jobs-status: peak RSS of the reading process, ${plan.jobsStatus.repetitions} answers (MB)`, product.peakRssMb.toFixed(0), `${bare.peakRssMb.toFixed(0)} (bare parse)`, `floor ${floor.peakRssMb.toFixed(0)}`]);
  for (const [figure, reading] of [
    ['RSS', (repetition: ReadRepetition) => repetition.rssAfterMb],
    ['heap in use', (repetition: ReadRepetition) => repetition.heapAfterMb],
  ] as const) {
    const after = (report: ReadReport) => report.repetitions.map((repetition) => reading(repetition).toFixed(0)).join(' / ');
    const first = product.repetitions[0];
    const last = product.repetitions.at(-1);
    const growth = first && last ? reading(last) - reading(first) : Number.NaN;
    jobsStatusRows.push([`jobs-status: ${figure} after GC after each answer (MB)`, after(product), `${after(bare)} (bare parse)`, `${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MB from the first to the last`]);
  }
  rows.push(...jobsStatusRows);
  record.jobsStatus = jobsStatus;
}

const header = ['figure', 'jobtally: median (min-max)', 'baseline', 'comparison'];
const title = `jobtally bench${quick ? ' --quick' : ''}, ${plan.repetitions} repetition(s), each in a fresh process; baseline = bare BullMQ flow of the same shape (HTTP: the same queries without HTTP; queries: a primary-key lookup; jobs-status: a bare @streamparser/json parse of the same bytes, floor: reading them without parsing)`;
process.stdout.write(`\n${title}\n${table(header, rows)}\n\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

if (selected.length === PARTS.length) {
  const results = path.join('bench', 'results');
  await mkdir(results, { recursive: true });
  const stem = quick ? 'latest-quick' : 'latest';
  await writeFile(path.join(results, `${stem}.json`), `${JSON.stringify(record, null, 2)}\n`);
  await writeFile(path.join(results, `${stem}.md`), `${title}\n\n${markdownTable(header, rows)}\n`);
}

if (runs('jobs-status')) {
  const results = path.join('bench', 'results');
  await mkdir(results, { recursive: true });
  const stem = quick ? 'jobs-status-quick' : 'jobs-status';
  const partTitle = `jobtally bench${quick ? ' --quick' : ''} --only jobs-status, ${plan.jobsStatus.repetitions} answers per reader, each reader in a fresh process; baseline = a bare @streamparser/json parse of the same bytes, floor = reading them without parsing`;
  await writeFile(path.join(results, `${stem}.json`), `${JSON.stringify({ date: record.date, plan: plan.jobsStatus, jobsStatus: record.jobsStatus }, null, 2)}\n`);
  await writeFile(path.join(results, `${stem}.md`), `${partTitle}\n\n${markdownTable(header, jobsStatusRows)}\n`);
}
