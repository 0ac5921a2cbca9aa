import { Worker, type Job, type Telemetry } from 'bullmq';
import type { RedisConnection } from '../queues/connection.js';
import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import { currentBusinessDate } from '../sources/business-dates.js';
import { SourceUnavailableError } from '../errors.js';
import { QUEUE_NAMES } from '../queues/names.js';
import { parentFailedOrGone } from '../queues/parent.js';
import type { DueTick } from '../queues/scheduler.js';
import { retryDelayMs } from './backoff.js';
import type { AggregateJobData, FetchJobData, ScheduleTickData } from './job-data.js';
import { createAggregateProcessor, createFetchProcessor, storeAnsweredCounts, storeLateCount, type FetchedSource, type ProcessorDeps } from './processors.js';
import type { EnqueueRequest, RunProducer } from './producer.js';

export interface WorkerGroup {
  workers: Worker[];
  /** Stops taking jobs and waits for active ones (graceful), or abandons them (`force`). */
  close(force?: boolean): Promise<void>;
}

interface WorkerSetup {
  connection: RedisConnection;
  prefix: string;
  logger: Logger;
  /** BullMQ telemetry when tracing is on. */
  telemetry?: Telemetry | undefined;
}

function watch(worker: Worker, logger: Logger): Worker {
  worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'worker error'));
  worker.on('failed', (job: Job | undefined, error) => {
    logger.debug({ err: error, jobId: job?.id, queue: worker.name, attemptsMade: job?.attemptsMade }, 'job failed');
  });
  return worker;
}

/** `settle`: work the workers started outside their jobs (event handlers), awaited once they are closed. */
function group(workers: Worker[], settle: () => Promise<unknown> = () => Promise.resolve()): WorkerGroup {
  return {
    workers,
    async close(force = false) {
      await Promise.all(workers.map((worker) => worker.close(force)));
      await settle();
    },
  };
}

/**
 * The count flow: fetch workers (one job per source) and aggregate workers (one per run). Metric
 * rules and each source's Control-M day come from the config, like the queue settings.
 */
export function startFlowWorkers(
  setup: WorkerSetup,
  config: Pick<Config, 'queue' | 'metrics' | 'timezone' | 'newDayTime' | 'sources'>,
  flowDeps: Omit<ProcessorDeps, 'metricRules' | 'currentBusinessDate'>,
): WorkerGroup {
  const { connection, prefix, logger } = setup;
  const sourceConfigs = new Map(config.sources.map((source) => [source.name, source]));
  const deps: ProcessorDeps = {
    ...flowDeps,
    metricRules: config.metrics.rules,
    currentBusinessDate: (source, now) => currentBusinessDate(sourceConfigs.get(source) ?? {}, config, now),
  };
  const settings = {
    backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
      retryDelayMs(attemptsMade, config.queue.backoffMs, error instanceof SourceUnavailableError ? error.retryAfterMs : undefined),
  };
  const common = { connection, prefix, settings, lockDuration: config.queue.lockDurationMs, stalledInterval: config.queue.stalledIntervalMs, ...(setup.telemetry ? { telemetry: setup.telemetry } : {}) };
  const fetch = new Worker(QUEUE_NAMES.fetch, createFetchProcessor(deps), { ...common, concurrency: config.queue.fetchConcurrency });
  const aggregate = new Worker(QUEUE_NAMES.aggregate, createAggregateProcessor(deps), { ...common, concurrency: config.queue.aggregateConcurrency });
  // The counts of a run that failed are stored by whichever of these comes last (see storeLateCount).
  const followUps = new Set<Promise<void>>();
  const follow = (work: Promise<void>) => {
    followUps.add(work);
    void work.finally(() => followUps.delete(work));
  };
  fetch.on('completed', (job: Job<FetchJobData>, result: FetchedSource) => follow(storeLateCount(deps, job, result, () => parentFailedOrGone(connection, job))));
  aggregate.on('failed', (job: Job<AggregateJobData> | undefined) => {
    if (job?.deferredFailure) follow(storeAnsweredCounts(deps, job));
  });
  return group([watch(fetch, logger), watch(aggregate, logger)], () => Promise.all(followUps));
}

/**
 * The run a scheduler tick stands for. Its idempotency key is the tick's job id, so a re-delivered
 * tick, or `start --run-now` taking a tick that is due, is the same run.
 */
export function scheduledRunRequest(tick: DueTick): EnqueueRequest {
  return { trigger: 'schedule', parameters: { client: tick.client }, idempotencyKey: `schedule:${tick.schedule}:${tick.jobId}` };
}

/** Turns scheduler ticks into runs. */
export function startScheduleWorker(setup: WorkerSetup, producer: RunProducer): WorkerGroup {
  const { connection, prefix, logger } = setup;
  const worker = new Worker<ScheduleTickData>(
    QUEUE_NAMES.schedule,
    async (job) => {
      const run = await producer.enqueueRun(scheduledRunRequest({ schedule: job.data.schedule, client: job.data.client, jobId: job.id ?? String(job.timestamp) }));
      return { run: run.name };
    },
    { connection, prefix, concurrency: 1 },
  );
  return group([watch(worker, logger)]);
}
