import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchHttpAtScale } from './http-at-scale.js';
import { formatMs, markdownTable, table } from './stats.js';

/**
 * `npm run bench [-- --quick]`. Every figure sits next to a baseline measured in the same run on the
 * same services, so a noisy machine moves both.
 */
const quick = process.argv.includes('--quick');
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (line: string) => process.stderr.write(`${line}\n`);

const settings = quick ? { runs: 20_000, detailsPerRun: 10, requests: 100 } : { runs: 100_000, detailsPerRun: 20, requests: 200 };
log(`jobtally bench${quick ? ' (quick)' : ''}: ${JSON.stringify(settings)}`);
const started = performance.now();
const rows = await benchHttpAtScale({ ...settings, postgresUrl, redisUrl, log });

const header = ['HTTP at scale', 'baseline p50 ms', 'baseline p99 ms', 'http p50 ms', 'http p99 ms', 'p99 < 50 ms'];
const cells = rows.map((row) => [row.case, formatMs(row.baseline.p50), formatMs(row.baseline.p99), formatMs(row.http.p50), formatMs(row.http.p99), row.http.p99 < 50 ? 'yes' : 'NO']);
const title = `${settings.runs.toLocaleString('en')} runs, ${(settings.runs * settings.detailsPerRun).toLocaleString('en')} details, ${settings.requests} sequential requests each; baseline = the same repository queries without HTTP`;
process.stdout.write(`\n${title}\n${table(header, cells)}\n\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

const results = path.join('bench', 'results');
await mkdir(results, { recursive: true });
const stem = quick ? 'latest-quick' : 'latest';
await writeFile(path.join(results, `${stem}.json`), `${JSON.stringify({ date: new Date().toISOString(), settings, rows }, null, 2)}\n`);
await writeFile(path.join(results, `${stem}.md`), `${title}\n\n${markdownTable(header, cells)}\n`);
