/**
 * Robust statistics (pure): the median and the median absolute deviation (MAD) ignore a few wild
 * values, so one bad day in a history does not widen what counts as normal.
 */

/** The middle value (the mean of the two middle ones for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Median of the absolute deviations from the median (`center`, when already known); undefined when empty. */
export function medianAbsoluteDeviation(values: readonly number[], center: number | undefined = median(values)): number | undefined {
  if (center === undefined) return undefined;
  return median(values.map((value) => Math.abs(value - center)));
}

export interface RobustRange {
  median: number;
  /** The MAD as measured, before the floor. */
  mad: number;
  /** The spread actually used: the MAD, or the floor when the history is flatter than that. */
  spread: number;
  low: number;
  high: number;
  /** How many values the range was built from. */
  size: number;
}

/**
 * `median ± k · max(MAD, madFloor)`. The floor keeps a perfectly flat history (MAD 0) from
 * calling a change of one unit unusual. Undefined when there are no values.
 */
export function robustRange(values: readonly number[], k: number, madFloor: number): RobustRange | undefined {
  const center = median(values);
  const mad = medianAbsoluteDeviation(values, center);
  if (center === undefined || mad === undefined) return undefined;
  const spread = Math.max(mad, madFloor);
  return { median: center, mad, spread, low: center - k * spread, high: center + k * spread, size: values.length };
}

/** Outside the range, boundaries excluded: a value exactly on an edge is still normal. */
export function isOutside(value: number, range: Pick<RobustRange, 'low' | 'high'>): boolean {
  return value < range.low || value > range.high;
}
