import type { Logger } from 'pino';
import type { MetricValues } from '../metrics/definitions.js';

/** Counts by status and by application, when a source can tell them apart. */
export interface CountBreakdown {
  byStatus?: Record<string, number>;
  byApplication?: Record<string, number>;
  bySubApplication?: Record<string, number>;
  /** Jobs counted that are also flagged `held` or `deleted`. */
  flags?: Record<string, number>;
  /** Jobs (jobs-status) or executions (usage `usage[]`) per Control-M server. */
  byServer?: Record<string, number>;
  /** Jobs per row `type`, unknown types included. */
  byType?: Record<string, number>;
  /** Control-M servers (`config/servers`): 1 when the state is Up, else 0. */
  serverUp?: Record<string, number>;
}

/** A jobs-status count checked against the server's own `usage/jobs` figure. */
export interface Reconciliation {
  own: number;
  server: number;
  /** |own - server| / server, in percent (0 when both are 0). */
  driftPercent: number;
  maxDriftPercent: number;
}

/** What the Control-M servers said about themselves, for the telemetry gauges. */
export interface ServerHealth {
  servers: { name: string; up: boolean; version: string | undefined }[];
  /** The most rows one answer held, against the page cap. */
  answerRows?: number;
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
  /** Things ops should look at that do not fail the count, written to the run log as warnings. */
  warnings?: string[];
  reconciliation?: Reconciliation;
  health?: ServerHealth;
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
  /** Ends what the source holds open (a Control-M session) when the process stops. */
  close?(): Promise<void>;
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
  /** This source's current Control-M day (YYYY-MM-DD): `businessDate` unless the run counts a past date. */
  currentBusinessDate: string;
}
