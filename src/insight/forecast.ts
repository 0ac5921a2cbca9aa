import { median } from './robust.js';
import { SECONDS_PER_DAY } from './calendar.js';

/**
 * End-of-day projection from the intraday curve (pure). Counts are cumulative over a business
 * date, so by a given time of day recent days had reached some share of their final figure; today's
 * latest total divided by the median of those shares is today's expected final figure.
 */

/** A successful total and when it was counted, in wall-clock seconds into its business date. */
export interface CurvePoint {
  secondOfDay: number;
  total: number;
}

/** One earlier business date: all its successful totals; the latest is that date's figure. */
export interface DayCurve {
  date: string;
  points: readonly CurvePoint[];
}

export interface ForecastInput {
  /** Today's latest successful total; undefined when nothing succeeded yet today. */
  latest: CurvePoint | undefined;
  history: readonly DayCurve[];
  limit: number;
  /** Dividing by a share smaller than this magnifies noise too much: fall back instead. */
  minFraction: number;
  /** Without a usable curve, extrapolate linearly only after this much of the day has passed. */
  minLinearSeconds: number;
}

export type ForecastMethod = 'curve' | 'linear' | 'none';

export interface Forecast {
  method: ForecastMethod;
  /** Today's latest total (0 when none). */
  total: number;
  /** Expected figure at the end of the day; null when it cannot be told yet. */
  projected: number | null;
  /** Median share of their final figure recent days had reached by now (curve method). */
  fraction: number | null;
  /** Earlier days the median share was taken over. */
  days: number;
  /** When the total is expected to go over the limit, in seconds into the day; null if it is not. */
  crossingSecond: number | null;
  /** How the projection was made, or why there is none, in plain words. */
  basis: string;
}

interface Curve {
  seconds: number[];
  totals: number[];
  final: number;
}

function toCurve(day: DayCurve): Curve | undefined {
  const points = [...day.points].sort((left, right) => left.secondOfDay - right.secondOfDay);
  const final = points.at(-1)?.total ?? 0;
  if (final <= 0) return undefined;
  return { seconds: points.map((point) => point.secondOfDay), totals: points.map((point) => point.total), final };
}

/** Share of its final figure a day had reached at `second`; undefined before its first count. */
function fractionAt(curve: Curve, second: number): number | undefined {
  let low = 0;
  let high = curve.seconds.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((curve.seconds[middle] as number) <= second) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : (curve.totals[low - 1] as number) / curve.final;
}

function medianFractionAt(curves: readonly Curve[], second: number): { fraction: number; days: number } | undefined {
  const fractions = curves.flatMap((curve) => {
    const fraction = fractionAt(curve, second);
    return fraction === undefined ? [] : [fraction];
  });
  const center = median(fractions);
  return center === undefined ? undefined : { fraction: center, days: fractions.length };
}

export function forecastDay(input: ForecastInput): Forecast {
  const { latest, limit } = input;
  if (!latest) return { method: 'none', total: 0, projected: null, fraction: null, days: 0, crossingSecond: null, basis: 'no successful count today yet' };
  const curves = input.history.flatMap((day) => toCurve(day) ?? []);
  const share = medianFractionAt(curves, latest.secondOfDay);
  if (share && share.fraction >= input.minFraction) {
    const projected = Math.max(latest.total, Math.round(latest.total / share.fraction));
    return {
      method: 'curve',
      total: latest.total,
      projected,
      fraction: share.fraction,
      days: share.days,
      crossingSecond: projected > limit ? curveCrossing(curves, latest, share.fraction, limit) : null,
      basis: `by this time, the last ${share.days} day${share.days === 1 ? '' : 's'} had reached a median ${(share.fraction * 100).toFixed(1)}% of their final figure`,
    };
  }
  if (latest.secondOfDay >= input.minLinearSeconds) {
    const projected = Math.max(latest.total, Math.round((latest.total * SECONDS_PER_DAY) / latest.secondOfDay));
    return {
      method: 'linear',
      total: latest.total,
      projected,
      fraction: null,
      days: 0,
      crossingSecond: projected > limit ? Math.min(SECONDS_PER_DAY, (limit * latest.secondOfDay) / latest.total) : null,
      basis: curves.length === 0 ? 'no earlier days to learn from: the pace so far, kept up until midnight' : 'earlier days tell too little about this time of day: the pace so far, kept up until midnight',
    };
  }
  return { method: 'none', total: latest.total, projected: null, fraction: null, days: share?.days ?? 0, crossingSecond: null, basis: 'too early in the day to project' };
}

/**
 * Follows the median curve from now (scaled so it passes through today's total) to the first
 * time it goes over the limit, interpolating between the times recent days were counted.
 */
function curveCrossing(curves: readonly Curve[], latest: CurvePoint, fractionNow: number, limit: number): number | null {
  const later = [...new Set(curves.flatMap((curve) => curve.seconds))].filter((second) => second > latest.secondOfDay).sort((left, right) => left - right);
  let previous = { second: latest.secondOfDay, total: latest.total };
  for (const second of later) {
    const share = medianFractionAt(curves, second);
    if (!share) continue;
    const total = (latest.total * share.fraction) / fractionNow;
    if (total > limit) return previous.second + ((limit - previous.total) / (total - previous.total)) * (second - previous.second);
    previous = { second, total };
  }
  return null;
}
