import { LimitExceededError, MissingCountError } from '../errors.js';
import type { SourceCountRecord } from '../persistence/writer.js';

/** What a fetch job returns; BullMQ stores it and hands it to the parent. */
export interface FetchedCount {
  source: string;
  count: number;
  /** ms since epoch when the fetch began: the run's started_at is its earliest fetch. */
  startedAt?: number;
}

export interface AggregateResult {
  total: number;
  counts: Record<string, number>;
}

/**
 * Joins the counts of one run (pure). Every expected source must have exactly one valid count,
 * otherwise MissingCountError; a total over `limit` is LimitExceededError (equal is fine).
 */
export function aggregate(expectedSources: readonly string[], fetched: readonly unknown[], limit: number): AggregateResult {
  const bySource = new Map<string, number>();
  for (const value of fetched) {
    if (!isFetchedCount(value)) continue;
    bySource.set(value.source, value.count);
  }
  const counts: Record<string, number> = {};
  let total = 0;
  for (const source of expectedSources) {
    const count = bySource.get(source);
    if (count === undefined) throw new MissingCountError(source, 'its fetch job returned no count');
    if (!isValidCount(count)) throw new MissingCountError(source, `count ${String(count)} is not a non-negative integer`);
    counts[source] = count;
    total += count;
  }
  if (!Number.isSafeInteger(total)) throw new MissingCountError(expectedSources.join('+'), 'the total is too large to count exactly');
  if (total > limit) throw new LimitExceededError(total, limit);
  return { total, counts };
}

function isFetchedCount(value: unknown): value is FetchedCount {
  return typeof value === 'object' && value !== null && typeof (value as FetchedCount).source === 'string' && typeof (value as FetchedCount).count === 'number';
}

/**
 * The children's results a failed or successful run stores as its source counts: one per expected
 * source, with a valid count and what the writer needs. A result without a log line came from a
 * fetch of an earlier version, which stored its count itself.
 */
export function storableCounts(expectedSources: readonly string[], fetched: readonly unknown[]): SourceCountRecord[] {
  const bySource = new Map<string, SourceCountRecord>();
  for (const value of fetched) {
    if (!isStorable(value) || !expectedSources.includes(value.source) || bySource.has(value.source)) continue;
    bySource.set(value.source, value);
  }
  return expectedSources.flatMap((source) => bySource.get(source) ?? []);
}

function isStorable(value: unknown): value is SourceCountRecord {
  if (!isFetchedCount(value)) return false;
  const record = value as Partial<SourceCountRecord>;
  return isValidCount(value.count) && typeof record.line === 'string' && typeof record.durationMs === 'number' && Number.isFinite(record.durationMs);
}

function isValidCount(count: number): boolean {
  return Number.isSafeInteger(count) && count >= 0;
}
