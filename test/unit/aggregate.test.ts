import { describe, expect, it } from 'vitest';
import { LimitExceededError, MissingCountError } from '../../src/errors.js';
import { aggregate, storableCounts } from '../../src/flow/aggregate.js';
import { retryDelayMs } from '../../src/flow/backoff.js';
import { clampDetail, fetchedLine, totalLine } from '../../src/runs/log-lines.js';

const both = ['SPA', 'UPCTM'];
const fetched = (spa: unknown, upctm: unknown) => [
  { source: 'SPA', count: spa },
  { source: 'UPCTM', count: upctm },
];

describe('aggregate', () => {
  it('sums the counts of every expected source', () => {
    expect(aggregate(both, fetched(20_000, 8_000), 48_500)).toEqual({ total: 28_000, counts: { SPA: 20_000, UPCTM: 8_000 } });
  });

  it('accepts limit - 1 and a total equal to the limit', () => {
    expect(aggregate(both, fetched(48_000, 499), 48_500).total).toBe(48_499);
    expect(aggregate(both, fetched(48_000, 500), 48_500).total).toBe(48_500);
  });

  it('refuses limit + 1 with LimitExceededError carrying total and limit', () => {
    const error = (() => {
      try {
        aggregate(both, fetched(48_000, 501), 48_500);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(error).toMatchObject({ total: 48_501, limit: 48_500, message: 'total 48,501 exceeds the license limit 48,500 by 1' });
  });

  it('handles sums beyond 32-bit integers exactly', () => {
    const big = 2 ** 31;
    expect(aggregate(both, fetched(big, big), 2 ** 40).total).toBe(2 ** 32);
    expect(() => aggregate(both, fetched(big, big), 48_500)).toThrow(LimitExceededError);
  });

  it('never stores a partial total: a missing source is a MissingCountError naming it', () => {
    expect(() => aggregate(both, [{ source: 'SPA', count: 1 }], 48_500)).toThrow(new MissingCountError('UPCTM', 'its fetch job returned no count'));
    expect(() => aggregate(both, [], 48_500)).toThrow(MissingCountError);
    expect(() => aggregate(both, [null, 'x', { source: 'SPA' }], 48_500)).toThrow(MissingCountError);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('rejects the invalid count %s', (count) => {
    expect(() => aggregate(both, fetched(count, 1), 10 ** 20)).toThrow(MissingCountError);
  });
});

describe('retry delays', () => {
  it('grows exponentially with jitter in the upper half', () => {
    expect(retryDelayMs(1, 1000, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, undefined, () => 1)).toBe(4000);
    expect(retryDelayMs(30, 1000, undefined, () => 1)).toBe(300_000);
  });

  it('believes Retry-After within bounds', () => {
    expect(retryDelayMs(1, 1000, 7000)).toBe(7000);
    expect(retryDelayMs(1, 1000, 10 ** 9)).toBe(300_000);
  });
});

describe('run log lines', () => {
  it('reads like a story', () => {
    expect(fetchedLine('SPA', 12_345, 120)).toBe('SPA: 12,345 job executions in 120 ms');
    expect(fetchedLine('SPA', 1, 2500, '2 servers')).toBe('SPA: 1 job execution in 2.5 s, 2 servers');
    expect(totalLine(43_650, 48_500)).toBe('Total 43,650 of limit 48,500 (90.0%)');
  });

  it('caps details at 5,000 characters with a marker', () => {
    expect(clampDetail('short')).toBe('short');
    const clamped = clampDetail('a'.repeat(6000));
    expect(clamped).toHaveLength(5000);
    expect(clamped.endsWith('[truncated: message was 6,000 characters]')).toBe(true);
    expect(clampDetail('b'.repeat(5000))).toHaveLength(5000);
  });
});

describe('storableCounts', () => {
  const record = (source: string, count: unknown, extra: object = {}) => ({ source, count, durationMs: 3, line: `${source} counted`, ...extra });

  it('keeps one valid result per expected source, in the expected order', () => {
    const stored = storableCounts(['SPA', 'UPCTM'], [record('UPCTM', 2), record('SPA', 1), record('SPA', 9), record('OTHER', 3)]);
    expect(stored.map((row) => [row.source, row.count])).toEqual([
      ['SPA', 1],
      ['UPCTM', 2],
    ]);
  });

  it('leaves out invalid counts and results of an earlier version without a log line or duration', () => {
    const fetched = [record('A', -1), record('B', 1.5), record('C', '3'), { source: 'D', count: 4 }, record('E', 5, { durationMs: Number.NaN }), record('F', 6), null, 'x'];
    expect(storableCounts(['A', 'B', 'C', 'D', 'E', 'F'], fetched).map((row) => row.source)).toEqual(['F']);
  });
});
