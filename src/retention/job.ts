import { UnrecoverableError, Worker, type Job, type Queue, type Telemetry } from 'bullmq';
import type { RedisConnection } from '../queues/connection.js';
import type { Logger } from 'pino';
import { dataDirLayout } from '../config/data-dir.js';
import type { RetentionConfig } from '../config/load.js';
import { errorMessage, InputError } from '../errors.js';
import type { WorkerGroup } from '../flow/workers.js';
import { formatAge, formatCount } from '../format.js';
import { parseRetentionParameters, type RetentionParameters } from '../jobs/catalog.js';
import type { Database } from '../persistence/db.js';
import { QUEUE_NAMES } from '../queues/names.js';
import { purgeRuns, type PurgeResult } from './archive.js';

/** The job scheduler's id and the job's name on the maintenance queue. */
export const RETENTION_JOB = 'retention';

/** What a retention job returns: Bull Board shows it on the completed job. */
export interface RetentionOutcome extends PurgeResult {
  olderThan: string;
  durationMs: number;
}

export interface RetentionJobDeps {
  db: Database;
  /** The archive goes to `<dataDir>/archive` unless the job names a directory. */
  dataDir: string;
  logger: Logger;
  now?: () => Date;
  /** Observer for metrics. */
  onFinished?: (outcome: 'success' | 'error', deleted: number, durationMs: number) => void;
}

/**
 * Makes Redis match `retention`: one job scheduler on the maintenance queue, or none when the
 * retention job is switched off. The job data carries the parameters, checked by the worker.
 */
export async function syncRetentionSchedule(queue: Queue, retention: RetentionConfig, logger: Logger): Promise<void> {
  if (!retention.enabled) {
    if (await queue.removeJobScheduler(RETENTION_JOB)) logger.info('retention schedule removed: retention.enabled is false');
    return;
  }
  const data: RetentionParameters = { olderThanMs: retention.olderThanMs, archive: retention.archive, ...(retention.archiveDir ? { archiveDir: retention.archiveDir } : {}) };
  await queue.upsertJobScheduler(
    RETENTION_JOB,
    { pattern: retention.schedule, tz: retention.tz },
    {
      name: RETENTION_JOB,
      data,
      // A purge that fails (Postgres away at 3 AM) tries again; each attempt purges what is left.
      opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 30 }, removeOnFail: { count: 100 } },
    },
  );
  logger.info({ schedule: retention.schedule, tz: retention.tz, olderThan: formatAge(retention.olderThanMs), archive: retention.archive }, 'retention scheduled');
}

/** Archives then deletes the finished runs older than the job's age, with one log line saying what it did. */
export function createRetentionProcessor(deps: RetentionJobDeps) {
  return async (job: Job): Promise<RetentionOutcome> => {
    const logger = deps.logger.child({ job: RETENTION_JOB, jobId: job.id });
    const started = performance.now();
    try {
      const parameters = parseRetentionParameters(job.data);
      const olderThan = new Date((deps.now?.() ?? new Date()).getTime() - parameters.olderThanMs);
      const result = await purgeRuns(deps.db, {
        olderThan,
        archiveDir: parameters.archive ? (parameters.archiveDir ?? dataDirLayout(deps.dataDir).archive) : undefined,
        onProgress: (progress) => {
          job.updateProgress(progress).catch((error: unknown) => logger.debug({ err: error }, 'could not report retention progress'));
        },
      });
      const durationMs = Math.round(performance.now() - started);
      deps.onFinished?.('success', result.deleted, durationMs);
      const summary = `retention: purged ${formatCount(result.deleted)} of ${formatCount(result.candidates)} finished runs created before ${olderThan.toISOString()}`;
      logger.info({ olderThan: olderThan.toISOString(), ...result, durationMs }, summary);
      return { olderThan: olderThan.toISOString(), ...result, durationMs };
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      deps.onFinished?.('error', 0, durationMs);
      const reason = errorMessage(error);
      logger.error({ err: error, durationMs, attempt: job.attemptsMade + 1 }, `retention failed: ${reason}`);
      // Bad job data stays bad: fail at once instead of retrying it.
      throw error instanceof InputError ? new UnrecoverableError(reason) : error;
    }
  };
}

/** One retention job at a time per worker; a scheduled job is taken by one worker of the fleet. */
export function startRetentionWorker(setup: { connection: RedisConnection; prefix: string; logger: Logger; telemetry?: Telemetry | undefined }, deps: RetentionJobDeps): WorkerGroup {
  const worker = new Worker(QUEUE_NAMES.maintenance, createRetentionProcessor(deps), {
    connection: setup.connection,
    prefix: setup.prefix,
    concurrency: 1,
    ...(setup.telemetry ? { telemetry: setup.telemetry } : {}),
  });
  worker.on('error', (error) => setup.logger.error({ err: error, queue: worker.name }, 'worker error'));
  return { workers: [worker], close: (force = false) => worker.close(force) };
}
