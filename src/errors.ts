import { formatCount } from './format.js';

/**
 * The error taxonomy of jobtally. Every error says what went wrong, where, and what to do next
 * (`hint`), carries its `cause`, and knows whether retrying can help (`transient`).
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'INPUT_INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'MISSING_COUNT'
  | 'LIMIT_EXCEEDED'
  | 'SOURCE_AUTH'
  | 'SOURCE_TIMEOUT'
  | 'SOURCE_UNAVAILABLE'
  | 'SOURCE_PARTIAL'
  | 'SOURCE_DATE'
  | 'SERVICE_UNAVAILABLE'
  | 'SECRET_UNRESOLVED';

interface JobtallyErrorOptions {
  hint?: string;
  cause?: unknown;
}

export abstract class JobtallyError extends Error {
  abstract readonly code: ErrorCode;
  /** True when the same operation may succeed if tried again later. */
  readonly transient: boolean = false;
  readonly hint: string | undefined;

  constructor(message: string, options: JobtallyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }

  /** One line for humans: what happened, then what to do. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Bad input that names its bad fields. The message sums it up; `describe()` adds one line per
 * field, so a CLI user sees what each field accepts, and the API returns the fields apart.
 */
abstract class FieldIssuesError extends JobtallyError {
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
    options: JobtallyErrorOptions = {},
  ) {
    super(message, options);
  }

  override describe(): string {
    const lines = this.issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    return [super.describe(), ...lines].join('\n');
  }
}

export class ConfigError extends FieldIssuesError {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string, issues: FieldIssue[] = [], options: JobtallyErrorOptions = {}) {
    super(message, issues, { hint: 'fix the configuration and run `jobtally config check`', ...options });
  }
}

export class InputError extends FieldIssuesError {
  readonly code = 'INPUT_INVALID';
}

export class NotFoundError extends JobtallyError {
  readonly code = 'NOT_FOUND';
}

export class ConflictError extends JobtallyError {
  readonly code = 'CONFLICT';
}

export class SecretError extends JobtallyError {
  readonly code = 'SECRET_UNRESOLVED';
}

/** The seed's `ValueError`: a source gave no usable count. Retrying does not help. */
export class MissingCountError extends JobtallyError {
  readonly code = 'MISSING_COUNT';
  constructor(
    readonly source: string,
    readonly reason: string,
    options: JobtallyErrorOptions = {},
  ) {
    super(`${source}: no valid count (${reason})`, {
      hint: 'check the source answers with a non-negative integer count',
      ...options,
    });
  }
}

/** The seed's `RuntimeError`: the joined total is over the license limit. */
export class LimitExceededError extends JobtallyError {
  readonly code = 'LIMIT_EXCEEDED';
  constructor(
    readonly total: number,
    readonly limit: number,
    options: JobtallyErrorOptions = {},
  ) {
    super(`total ${formatCount(total)} exceeds the license limit ${formatCount(limit)} by ${formatCount(total - limit)}`, {
      hint: 'reduce job executions or raise `limit` if the license allows it',
      ...options,
    });
  }
}

abstract class SourceError extends JobtallyError {
  constructor(
    readonly source: string,
    message: string,
    options: JobtallyErrorOptions = {},
  ) {
    super(`${source}: ${message}`, options);
  }
}

export class SourceAuthError extends SourceError {
  readonly code = 'SOURCE_AUTH';
  constructor(
    source: string,
    message: string,
    options: JobtallyErrorOptions & {
      /** 401 (who are you: a session may have expired) or 403 (not allowed: logging in again will not help). */
      httpStatus?: number;
    } = {},
  ) {
    super(source, message, options);
    this.httpStatus = options.httpStatus;
  }

  readonly httpStatus: number | undefined;
}

export class SourceTimeoutError extends SourceError {
  readonly code = 'SOURCE_TIMEOUT';
  override readonly transient = true;
}

export class SourceUnavailableError extends SourceError {
  readonly code = 'SOURCE_UNAVAILABLE';
  constructor(
    source: string,
    message: string,
    options: JobtallyErrorOptions & { transient?: boolean; retryAfterMs?: number } = {},
  ) {
    super(source, message, options);
    this.transient = options.transient ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
  override readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
}

/** The source answered only part of what was asked; counting it would undercount. */
export class SourcePartialError extends SourceError {
  readonly code = 'SOURCE_PARTIAL';
}

/** A run's business date is one the source cannot count: not reached yet, or past for a source that only knows today. */
export class BusinessDateError extends SourceError {
  readonly code = 'SOURCE_DATE';
  constructor(source: string, businessDate: string, today: string, options: JobtallyErrorOptions = {}) {
    super(
      source,
      businessDate > today
        ? `cannot count business date ${businessDate}: the source is still in Control-M day ${today}`
        : `can only count its current Control-M day ${today}, not ${businessDate} (the day changed at New Day, or the run is for a past date)`,
      { hint: 'start a new run for the current day; past dates need a source that keeps them (controlm jobs-status or usage-report)', ...options },
    );
  }
}

/** Redis or Postgres cannot be reached. */
export class ServiceUnavailableError extends JobtallyError {
  readonly code = 'SERVICE_UNAVAILABLE';
  override readonly transient = true;
}

export function isJobtallyError(error: unknown): error is JobtallyError {
  return error instanceof JobtallyError;
}

/** Errors that are not ours are assumed transient: a bug or an outage we did not classify. */
export function isTransient(error: unknown): boolean {
  return isJobtallyError(error) ? error.transient : true;
}

export function errorMessage(error: unknown): string {
  if (isJobtallyError(error)) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
