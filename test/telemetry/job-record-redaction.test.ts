import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, secretValues, type Config } from '../../src/config/load.js';
import { SourceUnavailableError } from '../../src/errors.js';
import { RunProducer } from '../../src/flow/producer.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { startFlowWorkers, type WorkerGroup } from '../../src/flow/workers.js';
import { secretScrubber } from '../../src/lifecycle/app.js';
import { logAlertSink } from '../../src/notify/events.js';
import { createHarness, type Harness } from '../support/harness.js';
import { storedText } from '../support/redis.js';
import { scriptedSource, type ScriptedSource } from '../support/sources.js';

/** One secret of each kind a source type holds; the SQL one only as its URL's password. */
const SECRETS = {
  SPA_KEY: 'spa-api-key-5f0c9e',
  UPCTM_PASSWORD: 'upctm-pass-77d1a3',
  LEGACY_TOKEN: 'legacy-token-2b8e44',
  BATCH_TOKEN: 'batch-token-91ce07',
  REPORTING_URL: 'postgres://reader:sql-pass-c3e9f2@127.0.0.1:5432/reporting',
};
const SQL_PASSWORD = 'sql-pass-c3e9f2';

let harness: Harness;
let config: Config;
let producer: RunProducer;
let workers: WorkerGroup;
let sources: ScriptedSource[];

beforeAll(async () => {
  harness = await createHarness();
  config = parseConfig(
    {
      sources: [
        { name: 'SPA', type: 'controlm', endpoint: 'https://spa.invalid/automation-api', auth: { apiKey: { env: 'SPA_KEY' } } },
        { name: 'UPCTM', type: 'controlm', endpoint: 'https://upctm.invalid/automation-api', mode: 'jobs-status', auth: { username: 'jobtally', password: { env: 'UPCTM_PASSWORD' } } },
        { name: 'LEGACY', type: 'http-json', url: 'https://legacy.invalid/count', path: 'count', secretHeaders: { Authorization: { env: 'LEGACY_TOKEN' } } },
        { name: 'BATCH', type: 'command', command: ['/bin/false'], secretEnv: { CTM_TOKEN: { env: 'BATCH_TOKEN' } } },
        { name: 'REPORTING', type: 'sql', url: { env: 'REPORTING_URL' }, query: 'select 1' },
      ],
      queue: { prefix: harness.config.queue.prefix, attempts: 3, backoffMs: 10 },
    },
    { env: SECRETS },
  );
  // Each source fails the way a server echoing its credentials would: in the message, the hint and
  // a cause chain; twice transiently (stored as retried attempts), then for good.
  sources = config.sources.map((source) => scriptedSource(source.name, [0]));
  producer = new RunProducer({ config, runs: harness.runs, writer: harness.writer, flows: harness.queueSet.flows, logger: harness.logger });
  workers = startFlowWorkers({ connection: harness.connection, prefix: config.queue.prefix, logger: harness.logger }, config, {
    writer: harness.writer,
    sources: new Map(sources.map((source) => [source.name, source])),
    alerts: logAlertSink(harness.logger),
    logger: harness.logger,
    nearLimitPercent: 90,
    redact: secretScrubber(config),
  });
});
afterAll(async () => {
  await workers.close(true);
  await harness.close();
});

function echoing(secret: string, transient: boolean): Error {
  const root = new Error(`socket said: credential ${secret} rejected`);
  const middle = new TypeError(`fetch failed with ${secret}`, { cause: root });
  return new SourceUnavailableError('X', `server answered "bad credential ${secret}"`, { transient, hint: `check ${secret}`, cause: middle });
}

describe('job records in Redis', () => {
  it('hold no configured secret of any source type after retried and final failures', async () => {
    const secrets = secretValues(config);
    expect(secrets).toContain(SQL_PASSWORD);
    for (const source of sources) {
      const own = secrets.filter((secret) => secret.includes(source.name.toLowerCase()) || (source.name === 'REPORTING' && secret === SQL_PASSWORD));
      const secret = own.at(-1) ?? '';
      source.script([echoing(secret, true), echoing(secret, true), echoing(secret, false)]);
    }
    const queued = await producer.enqueueRun({ trigger: 'manual' });
    await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    // The first source to fail for good fails the run; every other one has been retried by then or will be.
    await expect.poll(() => sources.reduce((calls, source) => calls + source.calls, 0), { timeout: 10_000 }).toBeGreaterThanOrEqual(sources.length * 2);
    const stored = await storedText(config.queue.prefix, harness.connection);
    expect(stored).toContain('[redacted]');
    expect(stored).toMatch(/"stacktrace":|stacktrace/);
    for (const secret of secrets) expect(stored, `a job record holds ${secret}`).not.toContain(secret);
    expect(JSON.stringify(await harness.runs.getDetail(queued.name))).not.toMatch(new RegExp(secrets.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')));
  });
});
