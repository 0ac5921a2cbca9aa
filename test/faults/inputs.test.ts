import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, secretValues } from '../../src/config/load.js';
import { sweepStuckRuns } from '../../src/flow/sweeper.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { startFlowWorkers } from '../../src/flow/workers.js';
import { createSources, secretScrubber } from '../../src/lifecycle/app.js';
import { logAlertSink } from '../../src/notify/events.js';
import { queryRows } from '../../src/persistence/db.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { createSource } from '../../src/sources/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { FakeHttpServer, type Reply } from '../support/fake-http.js';
import { createHarness, type Harness } from '../support/harness.js';
import { obliterateQueues } from '../support/redis.js';
import { scriptedSource } from '../support/sources.js';
import { basic, PASSWORDS, startHarnessWeb, webUsersConfig } from '../support/web.js';
import { record, writeSummary } from './support/results.js';

let server: FakeHttpServer;
let dir: string;
const harnesses: Harness[] = [];

beforeAll(async () => {
  server = await FakeHttpServer.start();
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-inputs-'));
});
afterAll(async () => {
  await Promise.all(harnesses.map((harness) => harness.close()));
  await server.close();
  await rm(dir, { recursive: true, force: true });
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
});

async function harnessWith(raw: Record<string, unknown> = {}): Promise<Harness> {
  const harness = await createHarness(raw);
  harnesses.push(harness);
  return harness;
}

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);

/** 33 ways a source can answer badly; `transient` ones are retried before the run fails. */
const POISON: { label: string; reply: Reply }[] = [
  { label: 'empty body', reply: { raw: '' } },
  { label: 'HTML error page', reply: { raw: '<html><body>502 Bad Gateway</body></html>' } },
  { label: 'truncated JSON', reply: { raw: '{"count": 12' } },
  { label: '10 MB body', reply: { raw: TEN_MB } },
  { label: 'NaN', reply: { raw: '{"count": NaN}' } },
  { label: 'Infinity', reply: { raw: '{"count": Infinity}' } },
  { label: '-1', reply: { body: { count: -1 } } },
  { label: '1.5', reply: { body: { count: 1.5 } } },
  { label: '"12345" as a string', reply: { body: { count: '12345' } } },
  { label: 'null', reply: { body: { count: null } } },
  { label: 'missing field', reply: { body: { total: 5 } } },
  { label: 'true', reply: { body: { count: true } } },
  { label: 'object', reply: { body: { count: { value: 5 } } } },
  { label: 'array', reply: { body: { count: [5] } } },
  { label: 'top-level array', reply: { body: [5] } },
  { label: 'top-level number', reply: { raw: '5' } },
  { label: 'top-level string', reply: { raw: '"5"' } },
  { label: 'JSON null', reply: { raw: 'null' } },
  { label: '2^53', reply: { raw: '{"count": 9007199254740993}' } },
  { label: '1e400', reply: { raw: '{"count": 1e400}' } },
  { label: '200 with errors', reply: { body: { errors: [{ message: 'license service unavailable' }] } } },
  { label: '401', reply: { status: 401, body: { errors: [{ message: 'token expired' }] } } },
  { label: '403', reply: { status: 403, body: {} } },
  { label: '404', reply: { status: 404, raw: 'Not Found' } },
  { label: '400', reply: { status: 400, body: { errors: [{ message: 'bad query' }] } } },
  { label: '429 with Retry-After', reply: { status: 429, headers: { 'retry-after': '0' }, body: {} } },
  { label: '500', reply: { status: 500, body: {} } },
  { label: '502', reply: { status: 502, raw: 'bad gateway' } },
  { label: '503', reply: { status: 503, raw: 'maintenance' } },
  { label: 'connection reset', reply: { resetConnection: true } },
  { label: 'never answers', reply: { hang: true } },
  { label: 'one byte a second', reply: { body: { count: 5 }, trickleMs: 1000 } },
  { label: 'hex string', reply: { body: { count: '0x10' } } },
];

describe('fault suite: inputs', () => {
  it('6. poison sources: every bad answer fails the run with a clear reason and no total, never a wrong count', async () => {
    server.route('GET', '/poison', () => ({ body: { count: 1 } }));
    const harness = await harnessWith({ queue: { attempts: 2, backoffMs: 10 } });
    const config = parseConfig({ sources: [{ name: 'SPA', type: 'http-json', url: `${server.url}/poison`, path: 'count', timeoutMs: 1500 }] });
    const [spaConfig] = config.sources;
    if (!spaConfig) throw new Error('no source');
    harness.startWorkers([createSource(spaConfig), scriptedSource('UPCTM', [100])]);
    const outcomes: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    for (const { label, reply } of POISON) {
      server.script('GET', '/poison', [reply, reply]);
      const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
      const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 20_000, intervalMs: 20 });
      const detail = await harness.runs.getDetail(run.name);
      expect(run.status, label).toBe(RUN_STATUS.error);
      expect(detail?.total, label).toBeUndefined();
      expect(run.message, label).toMatch(/^SPA: /);
      outcomes.push(`${label} → ${(run.message ?? '').replace('SPA: ', '').slice(0, 60)}`);
    }
    server.script('GET', '/poison', [{ body: { count: 41 } }]);
    const healthy = await harness.producer.enqueueRun({ trigger: 'manual' });
    const after = await waitForRunFinished(harness.runs, healthy.name, { timeoutMs: 20_000, intervalMs: 20 });
    expect(after.status, 'a good answer after the poison still counts').toBe(RUN_STATUS.success);
    const rssMb = process.memoryUsage().rss / 1024 / 1024;
    expect(rssMb).toBeLessThan(600);
    record('6. poison sources (33 answers, through the flow)', `33/33 runs error with a named reason, 0 totals rows; the next good answer counts; worker RSS ${rssMb.toFixed(0)} MB (${(rssBefore / 1024 / 1024).toFixed(0)} MB before the 33 bad answers); e.g. ${outcomes.slice(6, 9).join('; ')}`);
  }, 300_000);

  it('6b. a TLS error is a clear permanent failure', async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const tlsServer = createHttpsServer({ key: await readFile(key), cert: await readFile(cert) }, (_request, response) => response.end('{"count": 5}'));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}/count`;
      const source = createSource(parseConfig({ sources: [{ name: 'SPA', type: 'http-json', url, path: 'count' }] }).sources[0] as never);
      const error = await source.fetchCount({ signal: new AbortController().signal, logger: createLogger({ level: 'silent', pretty: false }), businessDate: '2026-12-07', currentBusinessDate: '2026-12-07' }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ transient: false, message: expect.stringMatching(/TLS failure/) as unknown });
      const trusting = createSource(parseConfig({ sources: [{ name: 'SPA', type: 'http-json', url, path: 'count', tls: { caFile: cert } }] }).sources[0] as never);
      await expect(trusting.fetchCount({ signal: new AbortController().signal, logger: createLogger({ level: 'silent', pretty: false }), businessDate: '2026-12-07', currentBusinessDate: '2026-12-07' })).rejects.toThrow(/TLS failure|altnames|IP/);
      record('6b. TLS error', `self-signed certificate → permanent "TLS failure" with the hint to set tls.caFile`);
    } finally {
      tlsServer.close();
    }
  });

  it('5. duplicates and bursts: one run per idempotency key; 1,000 enqueues from 20 callers all stored, none stuck', async () => {
    const harness = await harnessWith({ queue: { fetchConcurrency: 50, aggregateConcurrency: 50 } });
    harness.startWorkers([scriptedSource('SPA', [1]), scriptedSource('UPCTM', [2])]);
    const twins = await Promise.all([0, 1].map(() => harness.producer.enqueueRun({ trigger: 'api', idempotencyKey: 'same-request' })));
    expect(twins[0]?.name).toBe(twins[1]?.name);
    const started = performance.now();
    let next = 0;
    const names: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1000) {
          next++;
          names.push((await harness.producer.enqueueRun({ trigger: 'api' })).name);
        }
      }),
    );
    const enqueueSeconds = (performance.now() - started) / 1000;
    expect(new Set(names).size).toBe(1000);
    const [stored] = await queryRows<{ runs: number; totals: number }>(harness.database.db, sql`select (select count(*)::int from job_logs) as runs, (select count(*)::int from totals) as totals`);
    expect(stored?.runs).toBe(1001);
    for (const name of names) await waitForRunFinished(harness.runs, name, { timeoutMs: 120_000, intervalMs: 50 });
    const allSeconds = (performance.now() - started) / 1000;
    const counts = await harness.runs.statusCounts();
    expect(counts.pending + counts.processing).toBe(0);
    record('5. duplicates and bursts', `2 concurrent enqueues with one key → 1 run; 1,000 enqueues from 20 callers in ${enqueueSeconds.toFixed(1)} s → 1,000 distinct names, all finished ${allSeconds.toFixed(1)} s after the first, 0 stuck`);
  }, 180_000);

  it('7. limit edges: limit-1 and limit succeed, limit+1 fails, sums past 32 bits are exact', async () => {
    const harness = await harnessWith({ limit: 48_500 });
    const spa = scriptedSource('SPA', [0]);
    const upctm = scriptedSource('UPCTM', [0]);
    harness.startWorkers([spa, upctm]);
    const outcome = async (a: number, b: number) => {
      spa.script([a]);
      upctm.script([b]);
      const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
      return harness.runs.getDetail((await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 })).name);
    };
    expect((await outcome(20_000, 28_499))?.run.status).toBe(RUN_STATUS.success);
    expect((await outcome(20_000, 28_500))?.run.status).toBe(RUN_STATUS.success);
    const over = await outcome(20_000, 28_501);
    expect(over?.run.status).toBe(RUN_STATUS.error);
    expect(over?.run.message).toMatch(/exceeds the license limit 48,500 by 1/);
    const big = await harnessWith({ limit: 10_000_000_000 });
    big.startWorkers([scriptedSource('SPA', [2 ** 31]), scriptedSource('UPCTM', [2 ** 31 + 7])]);
    const queued = await big.producer.enqueueRun({ trigger: 'manual' });
    const run = await waitForRunFinished(big.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect((await big.runs.getDetail(run.name))?.total?.total).toBe(2 ** 32 + 7);
    record('7. limit edges', 'limit-1 and limit: success; limit+1: error "exceeds ... by 1", no total; 2^31 + (2^31+7) stored exactly as 4,294,967,303');
  });

  it('8. a run whose queue jobs were flushed is found and marked error', async () => {
    const harness = await harnessWith();
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    await obliterateQueues(harness.config.queue.prefix, harness.connection);
    const swept = await sweepStuckRuns({ runs: harness.runs, writer: harness.writer, aggregateQueue: harness.queueSet.queues[QUEUE_NAMES.aggregate], logger: harness.logger, stuckAfterMs: 60_000, now: () => new Date(Date.now() + 120_000) });
    expect(swept).toEqual([queued.name]);
    expect((await harness.runs.findByName(queued.name))?.message).toMatch(/queue jobs are gone/);
    record('8. stuck-run sweeper', 'queues flushed under a pending run → marked error past the deadline: "its queue jobs are gone ... retry the run"');
  });

  it('10. secrets: a plaintext secret is refused; key values never reach logs, metrics, the dashboard or the API', async () => {
    expect(() => parseConfig({ sources: [{ name: 'SPA', type: 'controlm', endpoint: 'https://x.example', auth: { apiKey: 'plain-key' } }] })).toThrow(/invalid configuration/);
    const key = 'sk-live-2f8d7c1e';
    server.route('GET', '/echo', () => ({ status: 401, body: { errors: [{ message: `key ${key} is not valid` }] } }));
    const harness = await harnessWith(await webUsersConfig());
    const config = parseConfig(
      { sources: [{ name: 'SPA', type: 'http-json', url: `${server.url}/echo`, path: 'count', secretHeaders: { 'x-api-key': { env: 'KEY' } } }, { name: 'UPCTM', type: 'static', count: 1 }], queue: { prefix: harness.config.queue.prefix } },
      { env: { KEY: key } },
    );
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ level: 'trace', pretty: false, destination: stream, secrets: secretValues(config) });
    const metrics = new Metrics({ queues: Object.values(harness.queueSet.queues), runs: harness.runs });
    const workers = startFlowWorkers({ connection: harness.connection, prefix: config.queue.prefix, logger }, config, {
      writer: harness.writer,
      sources: createSources(config),
      alerts: logAlertSink(logger),
      logger,
      nearLimitPercent: 90,
      redact: secretScrubber(config),
      onFetch: metrics.onFetch,
      onRunFinished: metrics.onRunFinished,
    });
    const web = await startHarnessWeb(harness);
    try {
      const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
      await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
      const auth = { authorization: basic('vera', PASSWORDS.viewer) };
      const outputs = [
        lines.join(''),
        await metrics.registry.metrics(),
        await (await fetch(`${web.url}/api/runs/${queued.name}`, { headers: auth })).text(),
        await (await fetch(`${web.url}/api/runs`, { headers: auth })).text(),
      ];
      for (const output of outputs) expect(output).not.toContain(key);
      expect(outputs[2]).toContain('key [redacted] is not valid');
      record('10. config and secrets', 'plaintext apiKey refused (exit 2 in the CLI); an API key echoed back by a failing server appears in none of: logs, /metrics, /api/runs, /api/runs/<id> (shown as [redacted])');
    } finally {
      await web.close();
      await workers.close(true);
    }
  });
});
