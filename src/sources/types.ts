import type { Logger } from 'pino';
import type { MetricValues } from '../metrics/definitions.js';

/** Counts by status and by application, when a source can tell them apart. */
export interface CountBreakdown {
  byStatus?: Record<string, number>;
  byApplication?: Record<string, number>;
  bySubApplication?: Record<string, number>;
  /** Jobs counted that are also flagged `held` or `deleted`. */
  flags?: Record<string, number>;
}

export interface SourceFetchResult {
  /** Job executions counted: a validated non-negative safe integer. */
  count: number;
  breakdown?: CountBreakdown;
  /**
   * Metrics beyond the count that this source can tell (failed, ordered_not_running); one it
   * cannot tell is left out. The count (job_executions) and the fetch time are added by the job.
   */
  metrics?: MetricValues;
  /** A short human note for the run log, e.g. "2 servers" or "9,812 jobs, 14 folders skipped". */
  note?: string;
}

/**
 * One scheduler environment that can tell how many jobs ran today. Implementations throw the typed
 * errors of `src/errors.ts`: MissingCountError (invalid or absent count), SourceAuthError,
 * SourceTimeoutError, SourceUnavailableError (transient unless 4xx), SourcePartialError.
 */
export interface CountSource {
  readonly name: string;
  readonly type: string;
  /**
   * Whether it can count a business date other than its current one (a past order date). One
   * that cannot only ever answers for today, so a run for another date must not ask it.
   */
  readonly countsPastDates: boolean;
  /** Where it reads from, for logs and the dashboard; never contains a secret. */
  describe(): string;
  fetchCount(context: FetchContext): Promise<SourceFetchResult>;
}

export interface FetchContext {
  /** Aborted when the run gives up (worker shutdown). The source applies its own timeout too. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * The run's business date (YYYY-MM-DD): the Control-M order date it counts. A source that can
   * count another day than the current one counts this one; one that cannot refuses it.
   */
  businessDate: string;
}
