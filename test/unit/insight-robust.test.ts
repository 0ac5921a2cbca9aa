import { describe, expect, it } from 'vitest';
import { isOutside, median, medianAbsoluteDeviation, robustRange } from '../../src/insight/robust.js';

describe('median', () => {
  it('is undefined for no values', () => {
    expect(median([])).toBeUndefined();
  });

  it('takes the middle of an odd count and the mean of the two middles of an even count', () => {
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 10])).toBe(10);
  });

  it('does not reorder the caller’s array and ignores a few wild values', () => {
    const values = [5, 1, 1_000_000, 3, 4];
    expect(median(values)).toBe(4);
    expect(values).toEqual([5, 1, 1_000_000, 3, 4]);
  });

  it('sorts numerically, not as text', () => {
    expect(median([9, 10, 100])).toBe(10);
  });
});

describe('median absolute deviation', () => {
  it('is undefined for no values and 0 for a single or flat history', () => {
    expect(medianAbsoluteDeviation([])).toBeUndefined();
    expect(medianAbsoluteDeviation([42])).toBe(0);
    expect(medianAbsoluteDeviation([20_000, 20_000, 20_000, 20_000])).toBe(0);
  });

  it('is the median distance from the median', () => {
    // median 6; distances 5 4 3 0 1 2 3 → sorted 0 1 2 3 3 4 5 → 3
    expect(medianAbsoluteDeviation([1, 2, 3, 6, 7, 8, 9])).toBe(3);
    // one outlier barely moves it
    expect(medianAbsoluteDeviation([10, 11, 12, 13, 1_000])).toBe(1);
  });
});

describe('robust range', () => {
  it('is median ± k·MAD', () => {
    expect(robustRange([90, 100, 110], 5, 0)).toEqual({ median: 100, mad: 10, spread: 10, low: 50, high: 150, size: 3 });
  });

  it('uses the floor when the history is flatter, so a flat history does not alert on +1', () => {
    const range = robustRange([500, 500, 500, 500], 5, 1);
    expect(range).toMatchObject({ mad: 0, spread: 1, low: 495, high: 505 });
    expect(isOutside(501, range!)).toBe(false);
    expect(isOutside(505, range!)).toBe(false);
    expect(isOutside(506, range!)).toBe(true);
    expect(isOutside(494, range!)).toBe(true);
  });

  it('is undefined without values', () => {
    expect(robustRange([], 5, 1)).toBeUndefined();
  });
});
