import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, secretValues } from '../../src/config/load.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { startFlowWorkers, type WorkerGroup } from '../../src/flow/workers.js';
import { logAlertSink } from '../../src/notify/events.js';
import { createSources, secretScrubber } from '../../src/lifecycle/app.js';
import { createLogger, scrubSecrets } from '../../src/telemetry/logger.js';
import { createHarness, type Harness } from '../support/harness.js';
import { storedText } from '../support/redis.js';
import { ControlmSimulator } from '../support/sim-controlm.js';

const API_KEY = 'ctm-key-9b7e41d2';
let harness: Harness;
let simulator: ControlmSimulator;
let workers: WorkerGroup;
const lines: string[] = [];

beforeAll(async () => {
  simulator = await ControlmSimulator.start({ apiKey: API_KEY, usage: { ctm01: 100 } });
  harness = await createHarness();
  const config = parseConfig(
    {
      sources: [
        { name: 'SPA', type: 'controlm', endpoint: simulator.endpoint, auth: { apiKey: { env: 'SPA_KEY' } } },
        { name: 'UPCTM', type: 'static', count: 1 },
      ],
      queue: { prefix: harness.config.queue.prefix, attempts: 2, backoffMs: 10 },
    },
    { env: { SPA_KEY: API_KEY } },
  );
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ level: 'trace', pretty: false, destination: stream, secrets: secretValues(config) });
  workers = startFlowWorkers({ connection: harness.connection, prefix: config.queue.prefix, logger }, config, {
    writer: harness.writer,
    sources: createSources(config),
    alerts: logAlertSink(logger),
    logger,
    nearLimitPercent: 90,
    redact: secretScrubber(config),
  });
  logger.info({ config }, 'config loaded');
});
afterAll(async () => {
  await workers.close(true);
  await harness.close();
  await simulator.close();
});

describe('secrets in logs', () => {
  it('never writes a configured API key, even when a server echoes it back in an error', async () => {
    simulator.script('GET', 'usage/jobs', [{ status: 500, body: { errors: [{ message: `key ${API_KEY} is over quota` }] } }, { status: 403, body: { errors: [{ message: `key ${API_KEY} revoked` }] } }]);
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((line) => line.includes(API_KEY))).toEqual([]);
    expect(lines.some((line) => line.includes('key [redacted] revoked'))).toBe(true);
    expect(lines.find((line) => line.includes('config loaded'))).toContain('"apiKey":"[redacted]"');
    const detail = await harness.runs.getDetail(queued.name);
    expect(JSON.stringify(detail)).not.toContain(API_KEY);
    expect(detail?.run.message).toMatch(/key \[redacted\] revoked/);
    const stored = await storedText(harness.config.queue.prefix, harness.connection);
    expect(stored, 'the retried and the final failure are in Redis').toMatch(/key \[redacted\] is over quota[\s\S]*key \[redacted\] revoked|key \[redacted\] revoked[\s\S]*key \[redacted\] is over quota/);
    expect(stored).not.toContain(API_KEY);
  });

  it('scrubs JSON-escaped forms too', () => {
    expect(scrubSecrets('{"msg":"a\\"b"}', ['a"b'])).toBe('{"msg":"[redacted]"}');
  });
});
