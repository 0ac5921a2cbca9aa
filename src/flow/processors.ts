import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { describeScope } from '../config/clients.js';
import { BusinessDateError, ConfigError, errorMessage, isTransient, LimitExceededError, MissingCountError } from '../errors.js';
import { aggregateMetrics, metricsOfFetches, sourceMetrics } from '../metrics/aggregate.js';
import type { MetricRules, MetricValues } from '../metrics/definitions.js';
import type { SucceededRun } from '../monitor/anomaly-check.js';
import { setsNewPeak, type Peak } from '../insight/peak.js';
import type { AlertSink } from '../notify/events.js';
import type { FailedRun, RunWriter, SourceCountRecord } from '../persistence/writer.js';
import { fetchedLine, retryingLine, successLine, totalLine } from '../runs/log-lines.js';
import { toShortId } from '../runs/names.js';
import { redactError } from '../telemetry/redact-error.js';
import { withSpan } from '../telemetry/tracing.js';
import type { CountSource, ServerHealth, SourceFetchResult } from '../sources/types.js';
import { aggregate, storableCounts, type FetchedCount } from './aggregate.js';
import { licenseUse, type ClientFigure } from './license.js';
import type { AggregateJobData, FetchJobData, RunJobRef } from './job-data.js';

export interface ProcessorDeps {
  writer: RunWriter;
  sources: ReadonlyMap<string, CountSource>;
  alerts: AlertSink;
  logger: Logger;
  nearLimitPercent: number;
  /** Each client's near-limit threshold, when it has its own (config `clients[].nearLimitPercent`). */
  nearLimitPercentOf?: (client: string) => number | undefined;
  /** Each client's quota of the shared license, when it has a share: an alert says which limit was crossed. */
  quotaOf?: (client: string) => number | undefined;
  /** The shared license (config `license`), checked after each figure is stored. */
  license?: { limit: number } | undefined;
  /** What the checks after a stored figure read: the date's figures of every client, a client's peak before a date. */
  figures?: FigureReads;
  /** How each run metric joins across sources (config `metrics.rules`). */
  metricRules: MetricRules;
  /** The Control-M day a source is in at `now` (config `timezone` and its `newDayTime`). */
  currentBusinessDate: (source: string, now: Date) => string;
  /**
   * Blanks secret values out of error text (servers echo keys): every error is redacted with it
   * before it leaves a processor, so BullMQ never stores a secret in a job record.
   */
  redact: (text: string) => string;
  /** Observers for metrics; optional so processors work without telemetry. */
  onFetch?: (source: string, outcome: 'success' | 'error', durationMs: number) => void;
  onRunFinished?: (outcome: 'success' | 'error', trigger: string, client: string, total?: number, limit?: number) => void;
  /** What a source said about its servers (Control-M `config/servers`, answer rows). */
  onSourceHealth?: (source: string, health: ServerHealth) => void;
  /** Looks at a run just stored as successful (the anomaly check); never throws. */
  afterSuccess?: (run: SucceededRun) => Promise<unknown>;
}

/**
 * What a fetch job returns: its count for the total, and everything the writer stores for the
 * source with the run's outcome (breakdown, metrics, log line). BullMQ keeps it for the parent.
 */
export type FetchedSource = FetchedCount & SourceCountRecord & { metrics: MetricValues };

export interface FigureReads {
  figuresOf(businessDate: string): Promise<ClientFigure[]>;
  /** The highest figure of the client in the 364 days before `businessDate`. */
  peakBefore(client: string, businessDate: string): Promise<Peak | undefined>;
}

/**
 * A source that only knows its current day must not answer for another: a run queued just before
 * New Day and fetched just after it would otherwise store the new day's count under the old date.
 */
function assertCountsDate(source: CountSource, businessDate: string, today: string): void {
  if (source.countsPastDates ? businessDate <= today : businessDate === today) return;
  throw new BusinessDateError(source.name, businessDate, today);
}

/** Whether this failure is the job's last: permanent errors are, and so is the last attempt. */
function isFinalAttempt(job: Job, error: unknown): boolean {
  return !isTransient(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export function createFetchProcessor(deps: ProcessorDeps) {
  return async (job: Job<FetchJobData>, _token?: string, signal?: AbortSignal): Promise<FetchedSource> => {
    const { runId, runName, source: sourceName } = job.data;
    const logger = deps.logger.child({ run: runName, runId: toShortId(runName), source: sourceName, jobId: job.id, queue: job.queueName });
    const source = deps.sources.get(sourceName);
    const started = performance.now();
    const startedAt = new Date();
    try {
      if (!source) throw new ConfigError(`source ${sourceName} is not configured on this worker`);
      const currentBusinessDate = deps.currentBusinessDate(sourceName, startedAt);
      assertCountsDate(source, job.data.businessDate, currentBusinessDate);
      const result = await markedProcessingIfSlow(deps, runId, startedAt, logger, () =>
        withSpan(`fetch ${sourceName}`, { 'jobtally.run': runName, 'jobtally.source': sourceName, 'jobtally.source_type': source.type }, () =>
          source.fetchCount({ signal: signal ?? new AbortController().signal, logger, businessDate: job.data.businessDate, currentBusinessDate }),
        ),
      );
      const durationMs = performance.now() - started;
      const metrics = sourceMetrics(result.count, result.metrics, durationMs);
      if (metrics.rejected.length > 0) logger.warn({ rejected: metrics.rejected }, 'source metrics ignored');
      deps.onFetch?.(sourceName, 'success', durationMs);
      if (result.health) deps.onSourceHealth?.(sourceName, result.health);
      logger.info({ count: result.count, durationMs: Math.round(durationMs) }, 'source counted');
      await reportFindings(deps, job.data, sourceName, result);
      // Stored with the run's outcome by the writer, in one transaction, not here.
      return {
        source: sourceName,
        count: result.count,
        startedAt: startedAt.getTime(),
        fetchedAt: Date.now(),
        durationMs: Math.round(durationMs),
        ...(result.breakdown ? { breakdown: result.breakdown } : {}),
        metrics: metrics.values,
        line: fetchedLine(sourceName, result.count, durationMs, recovered(job) ? joinNotes(result.note, 'counted again after the previous worker stopped') : result.note),
      };
    } catch (thrown) {
      deps.onFetch?.(sourceName, 'error', performance.now() - started);
      const error = redactError(thrown, deps.redact);
      const reason = errorMessage(error);
      const attempts = job.opts.attempts ?? 1;
      if (!isFinalAttempt(job, error)) {
        logger.warn({ err: error, attempt: job.attemptsMade + 1 }, 'source fetch failed; will retry');
        await deps.writer.addLines(runId, [{ level: 'warn', source: sourceName, message: `${sourceName}: ${retryingLine(withoutSourcePrefix(reason, sourceName), job.attemptsMade + 1, attempts, undefined)}` }]);
        throw error;
      }
      logger.error({ err: error }, 'source fetch failed');
      const attemptsNote = job.attemptsMade > 0 ? ` (after ${job.attemptsMade + 1} attempts)` : '';
      const message = `${prefixed(reason, sourceName)}${attemptsNote}`;
      await failRun(deps, job.data, message, { source: sourceName, startedAt });
      throw new UnrecoverableError(message);
    }
  };
}

export function createAggregateProcessor(deps: ProcessorDeps) {
  return async (job: Job<AggregateJobData>): Promise<{ total: number }> => {
    const data = job.data;
    const logger = deps.logger.child({ run: data.runName, runId: toShortId(data.runName), jobId: job.id, queue: job.queueName });
    const values = Object.values(await job.getChildrenValues<FetchedSource>());
    const sources = storableCounts(data.sources, values);
    try {
      const result = aggregate(data.sources, values, data.limit);
      const metrics = aggregateMetrics(metricsOfFetches(data.sources, values), deps.metricRules);
      if (metrics.rejected.length > 0) logger.warn({ rejected: metrics.rejected }, 'run metrics ignored');
      // A run over some of its client's sources is an ad-hoc check: stored as such, never a figure.
      const figure = data.complete !== false;
      const totalMessage = figure ? totalLine(result.total, data.limit) : `${totalLine(result.total, data.limit)} (${describeScope(data.sources, data.scopeOf ?? [])}: not a figure)`;
      const outcome = await withSpan('store result', { 'jobtally.run': data.runName, 'jobtally.total': result.total }, () =>
        deps.writer.completeRun(data.runId, {
          ...result,
          figure,
          metrics: metrics.metrics,
          limit: data.limit,
          client: data.client,
          businessDate: data.businessDate,
          message: totalMessage,
          sources,
          startedAt: firstFetchStart(values),
          lines: [
            { level: 'info', message: totalMessage },
            { level: 'info', message: successLine(result.total, Date.now() - data.queuedAt) },
          ],
        }),
      );
      if (outcome === 'finished') {
        logger.info({ total: result.total, limit: data.limit, figure }, 'run succeeded');
        deps.onRunFinished?.('success', data.trigger, data.client, figure ? result.total : undefined, figure ? data.limit : undefined);
        if (figure) await afterFigure(deps, data, result);
      } else {
        // Finished before (failed by the sweeper meanwhile, or a result already stored): it keeps
        // its outcome, and the counts its sources returned, as a failed run does.
        await deps.writer.recordSourceCounts(data.runId, sources);
      }
      return { total: result.total };
    } catch (thrown) {
      const error = redactError(thrown, deps.redact);
      if (!(error instanceof MissingCountError || error instanceof LimitExceededError)) {
        if (isFinalAttempt(job, error)) await failRun(deps, data, `could not store the result: ${errorMessage(error)}`, { sources });
        else logger.warn({ err: error, attempt: job.attemptsMade + 1 }, 'could not store the result; will retry');
        throw error;
      }
      const outcome = await deps.writer.failRun(data.runId, error.message, [{ level: 'error', message: `Run failed: ${error.describe()}` }], {
        startedAt: firstFetchStart(values),
        sources,
        // A breach keeps what it counted on the run: not a figure, but the day's worst news.
        ...(error instanceof LimitExceededError ? { countedTotal: error.total } : {}),
      });
      if (outcome === 'finished') {
        logger.error({ err: error }, 'run failed');
        deps.onRunFinished?.('error', data.trigger, data.client);
        await deps.alerts.send(
          error instanceof LimitExceededError
            ? { kind: 'limit-exceeded', runName: data.runName, client: data.client, businessDate: data.businessDate, total: error.total, limit: error.limit, quota: deps.quotaOf?.(data.client) === error.limit }
            : { kind: 'run-failed', runName: data.runName, client: data.client, businessDate: data.businessDate, reason: error.message },
        );
      }
      throw new UnrecoverableError(error.message);
    }
  };
}

/**
 * A source that answers after another source failed its run: the run's result will never be
 * written, so its count would be lost. Runs once the fetch job is completed in BullMQ, and stores
 * the count when the run's aggregate job has failed (or is gone). The failed aggregate job stores
 * the counts of the sources completed before it failed (`storeAnsweredCounts`): BullMQ moves
 * jobs one at a time, so whichever of the two comes last sees the other, and every source that
 * answered is kept. Never throws: the job is done either way.
 */
export async function storeLateCount(deps: ProcessorDeps, job: Job<FetchJobData>, result: FetchedSource, runFailed: () => Promise<boolean>): Promise<void> {
  try {
    if (!(await runFailed())) return;
    await deps.writer.recordSourceCounts(job.data.runId, storableCounts([job.data.source], [result]));
  } catch (error) {
    deps.logger.warn({ err: error, run: job.data.runName, source: job.data.source }, 'could not store the count of a source of a failed run');
  }
}

/** A source's warnings go to the run log; a reconciliation over its threshold is a `drift` alert. */
async function reportFindings(deps: ProcessorDeps, run: FetchJobData, source: string, result: SourceFetchResult): Promise<void> {
  const warnings = result.warnings ?? [];
  if (warnings.length > 0) await deps.writer.addLines(run.runId, warnings.map((warning) => ({ level: 'warn' as const, source, message: `${source}: ${warning}` })));
  const reconciliation = result.reconciliation;
  if (reconciliation && reconciliation.driftPercent > reconciliation.maxDriftPercent) {
    await deps.alerts.send({ kind: 'drift', runName: run.runName, client: run.client, businessDate: run.businessDate, source, ...reconciliation });
  }
}

/** After an aggregate job failed because a child did: stores the counts its other children returned. Never throws. */
export async function storeAnsweredCounts(deps: ProcessorDeps, job: Job<AggregateJobData>): Promise<void> {
  try {
    const values = Object.values(await job.getChildrenValues<FetchedSource>());
    await deps.writer.recordSourceCounts(job.data.runId, storableCounts(job.data.sources, values));
  } catch (error) {
    deps.logger.warn({ err: error, run: job.data.runName }, 'could not store the counts of a failed run');
  }
}

/**
 * The checks a new figure gets: near its client's limit (saying when it sets a new 365-day
 * peak), the shared license over all clients' figures of its date, and the anomaly check.
 */
async function afterFigure(deps: ProcessorDeps, data: AggregateJobData, result: { total: number; counts: Record<string, number> }): Promise<void> {
  const { total } = result;
  const percent = (total / data.limit) * 100;
  if (percent >= (deps.nearLimitPercentOf?.(data.client) ?? deps.nearLimitPercent)) {
    const previous = await deps.figures?.peakBefore(data.client, data.businessDate);
    const peak = deps.figures ? { newPeak: setsNewPeak(total, previous), previous: previous ?? null } : undefined;
    await deps.alerts.send({ kind: 'near-limit', runName: data.runName, client: data.client, businessDate: data.businessDate, total, limit: data.limit, percent, ...(peak ? { peak } : {}) });
  }
  if (deps.license && deps.figures) {
    const use = licenseUse(await deps.figures.figuresOf(data.businessDate), deps.license.limit);
    if (use.over) await deps.alerts.send({ kind: 'license-exceeded', runName: data.runName, client: data.client, businessDate: data.businessDate, sum: use.sum, limit: use.limit, figures: use.figures });
  }
  await deps.afterSuccess?.({ runId: data.runId, runName: data.runName, client: data.client, businessDate: data.businessDate, counts: result.counts });
}

async function failRun(deps: ProcessorDeps, run: RunJobRef, message: string, failed: FailedRun & { source?: string } = {}): Promise<void> {
  const { source, ...stored } = failed;
  const outcome = await deps.writer.failRun(run.runId, message, [{ level: 'error', source, message: `Run failed: ${message}` }], stored);
  if (outcome !== 'finished') return;
  deps.onRunFinished?.('error', run.trigger, run.client);
  await deps.alerts.send({ kind: 'run-failed', runName: run.runName, client: run.client, businessDate: run.businessDate, reason: message });
}

/**
 * A fast run goes from pending to finished in one write of its row (each write of it costs an entry
 * in every index); a fetch still running after this long marks the run processing, so ops see it
 * working. Either way started_at is when the first fetch began.
 */
const SLOW_FETCH_MARK_MS = 1000;

async function markedProcessingIfSlow<T>(deps: ProcessorDeps, runId: number, startedAt: Date, logger: Logger, fetch: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => {
    deps.writer.markProcessing(runId, startedAt).catch((error: unknown) => logger.warn({ err: error }, 'could not mark the run processing'));
  }, SLOW_FETCH_MARK_MS);
  try {
    return await fetch();
  } finally {
    clearTimeout(timer);
  }
}

/** When the earliest of a run's fetches began, from its children's results. */
function firstFetchStart(values: readonly FetchedCount[]): Date | undefined {
  const starts = values.map((value) => value.startedAt).filter((start): start is number => typeof start === 'number' && Number.isFinite(start));
  return starts.length > 0 ? new Date(Math.min(...starts)) : undefined;
}

/** A job started more often than it failed was taken over from a worker that died. */
function recovered(job: Job): boolean {
  return job.attemptsStarted > job.attemptsMade + 1;
}

function joinNotes(...notes: (string | undefined)[]): string {
  return notes.filter(Boolean).join('; ');
}

function prefixed(reason: string, source: string): string {
  return reason.startsWith(`${source}:`) ? reason : `${source}: ${reason}`;
}

function withoutSourcePrefix(reason: string, source: string): string {
  return reason.startsWith(`${source}: `) ? reason.slice(source.length + 2) : reason;
}
