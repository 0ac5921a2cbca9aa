import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchHttpAtScale } from './http-at-scale.js';
import { repetition, type PipelineSettings, type RepetitionRequest, type RepetitionResult } from './pipeline.js';
import { formatMs, markdownTable, percentile, table } from './stats.js';

/**
 * `npm run bench [-- --quick]`. Every product figure sits next to a baseline measured in the same
 * invocation on the same Redis and Postgres (a bare BullMQ flow of the same shape, or the bare
 * database query), alternating which goes first, so machine noise hits both.
 */
const quick = process.argv.includes('--quick');
const settings: PipelineSettings = {
  postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  log: (line) => process.stderr.write(`${line}\n`),
};
const plan = quick
  ? { repetitions: 1, throughputRuns: 300, paced: [{ rate: 50, seconds: 5 }], burstRuns: 200, memoryRuns: 1000, memoryCheckpoints: [200, 1000], http: { runs: 20_000, detailsPerRun: 10, requests: 100 } }
  : { repetitions: 3, throughputRuns: 2000, paced: [{ rate: 50, seconds: 30 }, { rate: 200, seconds: 30 }], burstRuns: 1000, memoryRuns: 10_000, memoryCheckpoints: [1000, 10_000], http: { runs: 100_000, detailsPerRun: 20, requests: 200 } };
settings.log(`jobtally bench${quick ? ' (quick)' : ''}: ${JSON.stringify(plan)}`);
const started = performance.now();

type Spread = [number, number, number];
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

const rows: string[][] = [];
const throughput = await both({ scenario: 'throughput', runs: plan.throughputRuns });
const rate = (results: RepetitionResult[]) => spread(results.map((result) => result.runs / (result.durationMs / 1000)));
const productRate = rate(throughput.product);
const rawRate = rate(throughput.raw);
rows.push([`throughput, ${plan.throughputRuns} runs (runs/s)`, show(productRate), show(rawRate), `${((productRate[1] / rawRate[1]) * 100).toFixed(0)}% of raw`]);

for (const pace of plan.paced) {
  const results = await both({ scenario: 'paced', runs: pace.rate * pace.seconds, rate: pace.rate });
  for (const fraction of [0.5, 0.95, 0.99]) {
    const at = (list: RepetitionResult[]) => spread(list.map((result) => percentile([...result.latenciesMs].sort((left, right) => left - right), fraction)));
    const product = at(results.product);
    const raw = at(results.raw);
    rows.push([`latency at ${pace.rate} runs/s, p${fraction * 100} (ms)`, show(product), show(raw), `${(product[1] / raw[1]).toFixed(2)}x raw`]);
  }
}

const burst = [] as RepetitionResult[];
for (let index = 0; index < plan.repetitions; index++) burst.push(await repetition(settings, { mode: 'product', scenario: 'burst', runs: plan.burstRuns }));
rows.push([`burst: ${plan.burstRuns} enqueues from 20 callers until all stored (s)`, show(spread(burst.map((result) => result.durationMs / 1000)), 2), '-', '-']);

const memory = await both({ scenario: 'throughput', runs: plan.memoryRuns, checkpoints: plan.memoryCheckpoints });
const mb = (bytes: number | undefined) => ((bytes ?? Number.NaN) / 1024 / 1024).toFixed(0);
const rssRow = (results: RepetitionResult[]) => {
  const median = (key: string) => percentile(results.map((result) => result.rss[key] ?? Number.NaN).sort((left, right) => left - right), 0.5);
  return ['before', ...plan.memoryCheckpoints.map((point) => `after ${point}`)].map((key) => mb(median(key))).join(' / ');
};
const growth = (results: RepetitionResult[]) => {
  const [first, last] = [plan.memoryCheckpoints[0], plan.memoryCheckpoints.at(-1)].map((point) => percentile(results.map((result) => result.rss[`after ${point}`] ?? Number.NaN).sort((left, right) => left - right), 0.5));
  return `${mb((last ?? Number.NaN) - (first ?? Number.NaN))} MB growth after ${plan.memoryCheckpoints[0]} runs`;
};
rows.push([`worker RSS before / after ${plan.memoryCheckpoints.join(' / after ')} runs (MB)`, rssRow(memory.product), rssRow(memory.raw), growth(memory.product)]);

const http = await benchHttpAtScale({ ...plan.http, ...settings });
for (const row of http) rows.push([`HTTP ${row.case}, p50 / p99 (ms)`, `${formatMs(row.http.p50)} / ${formatMs(row.http.p99)}`, `${formatMs(row.baseline.p50)} / ${formatMs(row.baseline.p99)} (db only)`, row.http.p99 < 50 ? 'p99 < 50 ms' : 'p99 >= 50 ms']);

const header = ['figure', 'jobtally: median (min-max)', 'baseline', 'comparison'];
const title = `jobtally bench${quick ? ' --quick' : ''}, ${plan.repetitions} repetition(s), each in a fresh process; baseline = bare BullMQ flow of the same shape (or the bare database query for HTTP)`;
process.stdout.write(`\n${title}\n${table(header, rows)}\n\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

const results = path.join('bench', 'results');
await mkdir(results, { recursive: true });
const stem = quick ? 'latest-quick' : 'latest';
await writeFile(path.join(results, `${stem}.json`), `${JSON.stringify({ date: new Date().toISOString(), plan, throughput, burst, memory: { product: memory.product.map((result) => result.rss), raw: memory.raw.map((result) => result.rss) }, http }, null, 2)}\n`);
await writeFile(path.join(results, `${stem}.md`), `${title}\n\n${markdownTable(header, rows)}\n`);
