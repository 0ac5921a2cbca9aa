/**
 * One way of reading the bench's Control-M answer, `repetitions` times, in a fresh process (so its
 * peak RSS is its own): `floor` reads the bytes and drops them, `bare` parses them with
 * @streamparser/json (every row of `statuses` built, then dropped), `product` counts them through
 * a ControlmSource built from config, the code path of a jobs-status run. Prints one JSON line.
 */
import http from 'node:http';
import { JSONParser } from '@streamparser/json';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { createSource } from '../src/sources/index.js';
import { retainedMemory } from './stats.js';

export type ReadVariant = 'floor' | 'bare' | 'product';

export interface ReadRequest {
  variant: ReadVariant;
  endpoint: string;
  repetitions: number;
  /** The business date the answer's rows are ordered for (YYYY-MM-DD). */
  businessDate: string;
}

export interface ReadRepetition {
  /** Bytes read (floor), rows parsed (bare), or job executions counted (product). */
  result: number;
  seconds: number;
  /** CPU time of this process (user + system) during the repetition: what the reading costs, whatever else the machine runs. */
  cpuSeconds: number;
  /** RSS after the repetition and a full GC, once it stops falling. */
  rssAfterMb: number;
  /** V8 heap in use after the repetition and a full GC: what shows a leak. */
  heapAfterMb: number;
}

export interface ReadReport {
  variant: ReadVariant;
  repetitions: ReadRepetition[];
  /** The highest RSS the process reached (the kernel's ru_maxrss), repetitions included. */
  peakRssMb: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as ReadRequest;
const statusesUrl = `${request.endpoint}/run/jobs/status`;
const MB = 1024 * 1024;

/** GETs the answer and hands its chunks to `take`; resolves with the bytes read. */
function stream(take: (chunk: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(statusesUrl, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          take(chunk);
        });
        response.once('end', () => resolve(bytes));
        response.once('error', reject);
      })
      .once('error', reject);
  });
}

function floor(): Promise<number> {
  return stream(() => undefined);
}

async function bare(): Promise<number> {
  let rows = 0;
  const parser = new JSONParser({ paths: ['$.statuses.*'], keepStack: false });
  parser.onValue = () => {
    rows++;
  };
  await stream((chunk) => parser.write(chunk));
  return rows;
}

const config = parseConfig(
  { sources: [{ name: 'BENCH', type: 'controlm', mode: 'jobs-status', endpoint: request.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, timeoutMs: 600_000 }] },
  { env: { CTM_KEY: 'bench' } },
);
const logger = pino({ level: 'silent' });

async function product(): Promise<number> {
  const [sourceConfig] = config.sources;
  if (!sourceConfig) throw new Error('the bench config has no source');
  // A new source per repetition, as each run of a worker asks its source afresh.
  const result = await createSource(sourceConfig).fetchCount({ signal: new AbortController().signal, logger, businessDate: request.businessDate, currentBusinessDate: request.businessDate });
  return result.count;
}

const read = { floor, bare, product }[request.variant];
const repetitions: ReadRepetition[] = [];
for (let index = 0; index < request.repetitions; index++) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await read();
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const { rss, heap } = await retainedMemory();
  repetitions.push({ result, seconds, cpuSeconds: (user + system) / 1e6, rssAfterMb: rss / MB, heapAfterMb: heap / MB });
}
const report: ReadReport = { variant: request.variant, repetitions, peakRssMb: process.resourceUsage().maxRSS / 1024 };
process.stdout.write(`${JSON.stringify(report)}\n`);
