import type { Telemetry } from 'bullmq';
import type { Logger } from 'pino';
import { secretValues, type Config } from '../config/load.js';
import type { ProcessorDeps } from '../flow/processors.js';
import { ServiceUnavailableError } from '../errors.js';
import { RunProducer } from '../flow/producer.js';
import { startSweeper } from '../flow/sweeper.js';
import { startFlowWorkers, startScheduleWorker, type WorkerGroup } from '../flow/workers.js';
import { logAlertSink, type AlertSink } from '../notify/events.js';
import { QueueAlertSink, startAlertWorker } from '../notify/queue-sink.js';
import { startStalenessCheck } from '../notify/staleness.js';
import { RunAnomalyCheck } from '../monitor/anomaly-check.js';
import { startForecastCheck } from '../monitor/forecast-check.js';
import { openDatabase, type DatabaseHandle } from '../persistence/db.js';
import { InsightRepository } from '../persistence/insight-repository.js';
import { RunsRepository } from '../persistence/runs-repository.js';
import { RunWriter } from '../persistence/writer.js';
import { createRedis, type RedisConnection } from '../queues/connection.js';
import { QUEUE_NAMES } from '../queues/names.js';
import { createQueueSet, type QueueSet } from '../queues/queues.js';
import { syncSchedules, type DueTick } from '../queues/scheduler.js';
import { startRetentionWorker, syncRetentionSchedule } from '../retention/job.js';
import { createSource } from '../sources/index.js';
import { scrubSecrets } from '../telemetry/logger.js';
import { Metrics } from '../telemetry/metrics.js';
import type { CountSource } from '../sources/types.js';
import { resolveRedis, type RedisEndpoint } from './redis.js';

export const ROLES = ['worker', 'scheduler', 'web'] as const;
export type Role = (typeof ROLES)[number];

/** Everything a role needs, opened once per process and closed in reverse order. */
export interface AppContext {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: RedisEndpoint;
  connection: RedisConnection;
  queueSet: QueueSet;
  runs: RunsRepository;
  insight: InsightRepository;
  writer: RunWriter;
  producer: RunProducer;
  alerts: AlertSink;
  metrics: Metrics;
  telemetry: Telemetry | undefined;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Apply pending migrations (start, migrate, demo); CLI read commands leave the schema alone. */
  migrate: boolean;
  /** Workers wait through Redis outages; producers (CLI, web) fail fast. */
  redisRole: 'worker' | 'producer';
  alerts?: AlertSink;
  /** BullMQ telemetry from `startTracing`, when tracing is on. */
  telemetry?: Telemetry | undefined;
  /** This process serves the web role: pages read the database in parallel. */
  web?: boolean;
}

/**
 * Database connections per process. Workers and producers write through batchers that keep a few
 * statements in flight, and postgres.js hands statements to its open connections in turn, so each
 * connection more spreads them over more backends, each one idler and colder: at 200 runs/s a
 * worker and a producer with 10 connections each cost Postgres 3.0-3.2 ms of CPU per run, with 4
 * each 2.5-2.7 ms. The web role's pages read in parallel, one connection each.
 */
export function databasePoolSize(options: Pick<OpenAppOptions, 'web'>): number {
  return options.web ? 10 : 4;
}

export async function openApp(config: Config, logger: Logger, options: OpenAppOptions): Promise<AppContext> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    maxConnections: databasePoolSize(options),
    pooler: config.database.pooler,
    migrationUrl: config.database.migrationUrl,
  });
  const closers: (() => Promise<void>)[] = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
  };
  try {
    if (options.migrate) await database.migrate();
    else await requireCurrentSchema(database);
    const redis = await resolveRedis({ config: config.redis, queuePrefix: config.queue.prefix, dataDir: config.dataDir, logger });
    closers.push(() => redis.stop());
    const connection = createRedis(redis.config, options.redisRole);
    connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    closers.push(async () => {
      connection.disconnect();
      await Promise.resolve();
    });
    const queueSet = createQueueSet(connection, config.queue.prefix, logger, options.telemetry);
    closers.push(() => queueSet.close());
    const runs = new RunsRepository(database.db);
    const insight = new InsightRepository(database.db);
    const writer = new RunWriter(database.db);
    const producer = new RunProducer({ config, runs, writer, flows: queueSet.flows, logger });
    const metrics = new Metrics({ queues: Object.values(queueSet.queues), runs });
    const alerts = options.alerts ?? (config.alerts.channels.length > 0 ? new QueueAlertSink(queueSet.queues[QUEUE_NAMES.alert], config.alerts, logger) : logAlertSink(logger));
    return { config, logger, database, redis, connection, queueSet, runs, insight, writer, producer, alerts, metrics, telemetry: options.telemetry, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Commands that leave the schema alone would otherwise fail on their first query with raw SQL
 * ("relation job_logs does not exist") on a new database, or misread an older schema.
 */
async function requireCurrentSchema(database: DatabaseHandle): Promise<void> {
  const pending = await database.pendingMigrations();
  if (pending === 0) return;
  throw new ServiceUnavailableError(`database ${database.location} is not up to date for this version of jobtally: ${pending} migration(s) not applied`, {
    hint: 'run `jobtally migrate` (`jobtally start` migrates too), then try again',
  });
}

export function createSources(config: Pick<Config, 'sources'>): Map<string, CountSource> {
  return new Map(config.sources.map((source) => [source.name, createSource(source)]));
}

export interface RunningRoles {
  workers: WorkerGroup[];
  /** Schedule ticks queued to run at once as the scheduler role started (a new `every` schedule). */
  dueTicks: DueTick[];
  stop(force?: boolean): Promise<void>;
}

/**
 * Opens every pooled database connection and prepares on each the statements the roles' runs use
 * (see DatabaseHandle.warmUp): producers (scheduler, web) create runs, workers store results and
 * read the anomaly check's history.
 */
export async function warmUpRoles(database: DatabaseHandle, config: Pick<Config, 'insight'>, roles: readonly Role[]): Promise<void> {
  const producing = roles.includes('scheduler') || roles.includes('web');
  const working = roles.includes('worker');
  if (!producing && !working) return;
  await database.warmUp(async (db) => {
    if (producing) await new RunsRepository(db).warmUp();
    if (!working) return;
    await new RunWriter(db).warmUp();
    if (config.insight.anomalies.enabled) await new InsightRepository(db).warmUp({ lookbackDays: config.insight.anomalies.lookbackDays, runs: config.insight.anomalies.historyRuns });
  });
}

/** What the aggregate job checks a new figure against: its client's near-limit threshold, the shared license, the peak. */
export function figureChecks(
  config: Pick<Config, 'nearLimitPercent' | 'clients' | 'license'>,
  insight: InsightRepository,
): Pick<ProcessorDeps, 'nearLimitPercent' | 'nearLimitPercentOf' | 'quotaOf' | 'license' | 'figures'> {
  const byName = new Map(config.clients.map((client) => [client.name, client]));
  return {
    nearLimitPercent: config.nearLimitPercent,
    nearLimitPercentOf: (client) => byName.get(client)?.nearLimitPercent,
    quotaOf: (client) => byName.get(client)?.quota,
    license: config.license,
    figures: insight,
  };
}

/**
 * Starts the requested roles on an open context, warmed up first so that their first runs are as
 * fast as the later ones. The web role is started by `src/http`.
 */
export async function startRoles(app: AppContext, roles: readonly Role[]): Promise<RunningRoles> {
  const { config, logger, connection } = app;
  await warmUpRoles(app.database, config, roles);
  const setup = { connection, prefix: config.queue.prefix, logger, telemetry: app.telemetry };
  const workers: WorkerGroup[] = [];
  const sources = roles.includes('worker') ? createSources(config) : new Map<string, CountSource>();
  const timers: { stop(): void }[] = [];
  const dueTicks: DueTick[] = [];
  const stop = async (force: boolean) => {
    for (const timer of timers) timer.stop();
    await Promise.all(workers.map((group) => group.close(force)));
    // After the workers: no fetch uses a source any more (a Control-M session is logged out).
    const closing = [...sources.values()].flatMap((source) => (source.close ? [source.close().catch((error: unknown) => logger.warn({ err: error, source: source.name }, 'could not close source'))] : []));
    await Promise.all(closing);
  };
  // A role that fails to start stops those already started: no half-started process lingers.
  try {
    if (roles.includes('worker')) {
      const anomalies = new RunAnomalyCheck({ insight: app.insight, alerts: app.alerts, logger, rules: config.insight.anomalies, timezone: config.timezone });
      workers.push(
        startFlowWorkers(setup, config, {
          writer: app.writer,
          sources,
          alerts: app.alerts,
          logger,
          ...figureChecks(config, app.insight),
          redact: secretScrubber(config),
          onFetch: app.metrics.onFetch,
          onRunFinished: app.metrics.onRunFinished,
          onSourceHealth: app.metrics.onSourceHealth,
          afterSuccess: (run) => anomalies.afterSuccess(run),
        }),
      );
    }
    if (roles.includes('worker') && config.retention.enabled) {
      workers.push(startRetentionWorker(setup, { db: app.database.db, dataDir: config.dataDir, logger, onFinished: app.metrics.onRetentionFinished }));
    }
    if (roles.includes('worker') && config.alerts.channels.length > 0) {
      const alertWorker = startAlertWorker(setup, config.alerts, { publicUrl: config.web.publicUrl });
      workers.push({ workers: [alertWorker], close: (force) => alertWorker.close(force) });
    }
    if (roles.includes('scheduler')) {
      dueTicks.push(...(await syncSchedules(app.queueSet.queues[QUEUE_NAMES.schedule], config.schedules, logger)));
      await syncRetentionSchedule(app.queueSet.queues[QUEUE_NAMES.maintenance], config.retention, logger);
      workers.push(startScheduleWorker(setup, app.producer));
      const sweep = { runs: app.runs, writer: app.writer, aggregateQueue: app.queueSet.queues[QUEUE_NAMES.aggregate], logger, stuckAfterMs: config.runs.stuckAfterMs };
      timers.push(startSweeper(sweep, Math.min(Math.max(config.runs.stuckAfterMs / 4, 1000), 60_000)));
      const staleness = { runs: app.runs, alerts: app.alerts, logger, staleAfterMs: config.alerts.staleAfterMs, timezone: config.timezone, newDayTime: config.newDayTime };
      timers.push(startStalenessCheck(staleness, Math.min(Math.max(config.alerts.staleAfterMs / 4, 1000), 60_000)));
      if (config.insight.forecast.enabled) {
        const settings = { limit: config.limit, timezone: config.timezone, newDayTime: config.newDayTime, forecast: config.insight.forecast };
        timers.push(startForecastCheck({ runs: app.runs, insight: app.insight, alerts: app.alerts, logger, settings }));
      }
    }
  } catch (error) {
    await stop(true).catch((stopError: unknown) => logger.warn({ err: stopError }, 'error while stopping the roles already started'));
    throw error;
  }
  return { workers, dueTicks, stop: (force = false) => stop(force) };
}

export function secretScrubber(config: Config): (text: string) => string {
  const secrets = secretValues(config);
  return (text) => scrubSecrets(text, secrets);
}
