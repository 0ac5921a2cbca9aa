import { pino, type Logger } from 'pino';
import { parseConfig, type Config } from '../../src/config/load.js';
import type { AlertEvent, AlertSink } from '../../src/notify/events.js';
import { RunProducer } from '../../src/flow/producer.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import type { ProcessorDeps } from '../../src/flow/processors.js';
import { startFlowWorkers, type WorkerGroup } from '../../src/flow/workers.js';
import { figureChecks, secretScrubber } from '../../src/lifecycle/app.js';
import { RunAnomalyCheck } from '../../src/monitor/anomaly-check.js';
import { InsightRepository } from '../../src/persistence/insight-repository.js';
import { RunsRepository } from '../../src/persistence/runs-repository.js';
import { RunWriter } from '../../src/persistence/writer.js';
import type { RedisConnection } from '../../src/queues/connection.js';
import { createQueueSet, type QueueSet } from '../../src/queues/queues.js';
import type { CountSource } from '../../src/sources/types.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { obliterateQueues, testPrefix, testRedis } from './redis.js';

export interface Harness {
  config: Config;
  database: TestDatabase;
  connection: RedisConnection;
  queueSet: QueueSet;
  runs: RunsRepository;
  insight: InsightRepository;
  writer: RunWriter;
  producer: RunProducer;
  alerts: AlertEvent[];
  logger: Logger;
  startWorkers(sources: CountSource[], observers?: Pick<ProcessorDeps, 'onFetch' | 'onRunFinished' | 'afterSuccess' | 'onSourceHealth'>): WorkerGroup;
  close(): Promise<void>;
}

/**
 * A whole count flow on real services, isolated: its own Postgres database and queue prefix.
 * `rawConfig` is a config file's content; sources default to two static ones. `connection` is
 * the Redis to use (a cluster, a sentinel's master...) instead of the test Redis, `database` the
 * database (through a pooler...); closing the harness disconnects and drops them.
 */
export async function createHarness(rawConfig: Record<string, unknown> = {}, options: { connection?: RedisConnection; database?: TestDatabase } = {}): Promise<Harness> {
  const prefix = testPrefix();
  const config = parseConfig({
    sources: [
      { name: 'SPA', type: 'static', count: 100 },
      { name: 'UPCTM', type: 'static', count: 200 },
    ],
    ...rawConfig,
    queue: { prefix, attempts: 3, backoffMs: 20, ...(rawConfig.queue as object | undefined) },
    // A port of its own: the default 3000 is taken whenever jobtally itself runs on this machine.
    web: { port: 0, ...(rawConfig.web as object | undefined) },
  });
  const database = options.database ?? (await createTestDatabase());
  const connection = options.connection ?? testRedis();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const queueSet = createQueueSet(connection, prefix, logger);
  const runs = new RunsRepository(database.db);
  const insight = new InsightRepository(database.db);
  const writer = new RunWriter(database.db);
  const producer = new RunProducer({ config, runs, writer, flows: queueSet.flows, logger });
  const alerts: AlertEvent[] = [];
  const alertSink: AlertSink = {
    send(event) {
      alerts.push(event);
      return Promise.resolve();
    },
  };
  // As in production: every successful run is checked for anomalies.
  const anomalies = new RunAnomalyCheck({ insight, alerts: alertSink, logger, rules: config.insight.anomalies, timezone: config.timezone });
  const groups: WorkerGroup[] = [];
  return {
    config,
    database,
    connection,
    queueSet,
    runs,
    insight,
    writer,
    producer,
    alerts,
    logger,
    startWorkers(sources, observers = {}) {
      const group = startFlowWorkers({ connection, prefix, logger }, config, {
        writer,
        sources: new Map(sources.map((source) => [source.name, source])),
        alerts: alertSink,
        logger,
        ...figureChecks(config, insight),
        redact: secretScrubber(config),
        afterSuccess: (run) => anomalies.afterSuccess(run),
        ...observers,
      });
      groups.push(group);
      return group;
    },
    async close() {
      await Promise.all(groups.map((group) => group.close(true)));
      await queueSet.close();
      await obliterateQueues(prefix, connection);
      connection.disconnect();
      await database.drop();
    },
  };
}

/** Queues one manual run, waits for it to finish, and returns its stored detail. */
export async function runOnce(harness: Harness, timeoutMs = 15_000) {
  const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
  const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs, intervalMs: 20 });
  const detail = await harness.runs.getDetail(run.name);
  if (!detail) throw new Error(`run ${run.name} vanished`);
  return detail;
}
