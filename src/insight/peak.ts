import { addDays } from './calendar.js';

/**
 * Rolling peaks (pure). Task-based licenses are audited on the highest daily figure over 365 days
 * (BMC's "Extreme Peaks Usage"), so each day's figure is shown next to the peak it stands against.
 */

export const PEAK_WINDOW_DAYS = 365;

export interface Peak {
  total: number;
  businessDate: string;
}

/**
 * For each of `dates`, the highest figure of the 365 days ending on it (ties: the earliest date);
 * `figures` must reach back 364 days before the first date. A date with no figure in its window has none.
 */
export function rollingPeaks(figures: readonly { date: string; total: number }[], dates: readonly string[]): Map<string, Peak> {
  const sorted = [...figures].sort((left, right) => left.date.localeCompare(right.date));
  const peaks = new Map<string, Peak>();
  for (const date of dates) {
    const from = addDays(date, -(PEAK_WINDOW_DAYS - 1));
    let peak: Peak | undefined;
    for (const figure of sorted) {
      if (figure.date < from) continue;
      if (figure.date > date) break;
      if (!peak || figure.total > peak.total) peak = { total: figure.total, businessDate: figure.date };
    }
    if (peak) peaks.set(date, peak);
  }
  return peaks;
}

/** Whether `total` on its date sets a new 365-day peak over the highest figure of the 364 days before. */
export function setsNewPeak(total: number, previous: Peak | undefined): boolean {
  return previous === undefined || total > previous.total;
}
