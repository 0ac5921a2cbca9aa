import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { readinessChecks, redisSettingsChecks } from '../../src/health/checks.js';
import type { WebServer } from '../../src/http/server.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { createHarness, type Harness } from '../support/harness.js';
import { promtoolComplaints } from '../support/promtool.js';
import { scriptedSource } from '../support/sources.js';
import { startHarnessWeb } from '../support/web.js';

let harness: Harness;
let web: WebServer;
let metrics: Metrics;
const spa = scriptedSource('SPA', [20_000]);

beforeAll(async () => {
  harness = await createHarness();
  web = await startHarnessWeb(harness);
  metrics = new Metrics({ queues: Object.values(harness.queueSet.queues), runs: harness.runs });
  harness.startWorkers([spa, scriptedSource('UPCTM', [28_000])], { onFetch: metrics.onFetch, onRunFinished: metrics.onRunFinished });
  for (const answer of [[20_000], [new SourceUnavailableError('SPA', 'HTTP 404', { transient: false })]]) {
    spa.script(answer);
    const run = await harness.producer.enqueueRun({ trigger: 'manual', parameters: { client: 'acme' } });
    await waitForRunFinished(harness.runs, run.name, { timeoutMs: 15_000, intervalMs: 20 });
  }
});
afterAll(async () => {
  await web.close();
  await harness.close();
});

describe('health', () => {
  it('answers /livez and /readyz without login, saying what was checked', async () => {
    expect(await (await fetch(`${web.url}/livez`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${web.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    expect(body.checks.map((check) => [check.name, check.ok])).toEqual([
      ['redis', true],
      ['postgres', true],
      ['migrations', true],
    ]);
  });

  it('reports an unreachable Redis as not ready, with advice', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const checks = await readinessChecks({ connection: dead, queuePrefix: harness.config.queue.prefix, database: harness.database, timeoutMs: 500 });
    dead.disconnect();
    expect(checks[0]).toMatchObject({ name: 'redis', ok: false, advice: expect.stringContaining('REDIS_URL') as unknown });
    expect(checks[1]?.ok).toBe(true);
  });

  it('reads the Redis settings doctor reports', async () => {
    const checks = await redisSettingsChecks(harness.connection);
    expect(checks.map((check) => check.name)).toEqual(['redis maxmemory-policy', 'redis persistence']);
    for (const check of checks) expect(check.ok || Boolean(check.advice)).toBe(true);
  });
});

describe('metrics', () => {
  it('exposes queue depths, finished runs, fetch durations, the last total and staleness', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/jobtally_runs_finished_total\{status="success",trigger="manual"\} 1/);
    expect(text).toMatch(/jobtally_runs_finished_total\{status="error",trigger="manual"\} 1/);
    expect(text).toMatch(/jobtally_source_fetch_duration_seconds_count\{source="SPA",outcome="error"\} 1/);
    expect(text).toMatch(/jobtally_queue_jobs\{queue="aggregate",state="completed"\} 1/);
    expect(text).toMatch(/jobtally_license_units_used\{client="acme"\} 48000/);
    expect(text).toMatch(/jobtally_license_limit\{client="acme"\} 48500/);
    expect(text).toMatch(/jobtally_seconds_since_last_success\{client="acme"\} \d/);
    expect(text).toMatch(/process_resident_memory_bytes/);
  });

  it('serves /metrics on the web role in a format promtool accepts', async () => {
    const response = await fetch(`${web.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(text).toContain('jobtally_queue_jobs');
    expect(await promtoolComplaints(text)).toBe('');
  });
});
