import { addDays } from './calendar.js';

/**
 * Day-over-day and week-over-week changes of the daily figures (pure). A business date's figure is
 * its latest successful run; a comparison is only made with a date that has one.
 */

export interface DailyFigure {
  date: string;
  total: number;
  counts: Readonly<Record<string, number>>;
}

export interface Change {
  absolute: number;
  /** Relative to the earlier value; null when that was 0. */
  percent: number | null;
}

/** The total, then one row per source. */
export const TOTAL_SUBJECT = 'total';

export interface TrendRow {
  date: string;
  /** `total` or a source name. */
  subject: string;
  value: number;
  /** Against the day before. */
  dayChange: Change | null;
  /** Against the same weekday a week earlier. */
  weekChange: Change | null;
}

export function change(current: number, previous: number | undefined): Change | null {
  if (previous === undefined) return null;
  return { absolute: current - previous, percent: previous === 0 ? null : ((current - previous) / previous) * 100 };
}

function valueOf(figure: DailyFigure | undefined, subject: string): number | undefined {
  if (!figure) return undefined;
  return subject === TOTAL_SUBJECT ? figure.total : figure.counts[subject];
}

/** Every source that appears in any figure, sorted. */
export function sourcesOf(figures: readonly DailyFigure[]): string[] {
  return [...new Set(figures.flatMap((figure) => Object.keys(figure.counts)))].sort();
}

/**
 * Rows for the dates from `from` on, newest first. `figures` may reach a week before `from`, so
 * the first shown dates have their comparisons too.
 */
export function dailyTrends(figures: readonly DailyFigure[], from: string): TrendRow[] {
  const byDate = new Map(figures.map((figure) => [figure.date, figure]));
  const subjects = [TOTAL_SUBJECT, ...sourcesOf(figures)];
  return [...byDate.values()]
    .filter((figure) => figure.date >= from)
    .sort((left, right) => right.date.localeCompare(left.date))
    .flatMap((figure) =>
      subjects.flatMap((subject) => {
        const value = valueOf(figure, subject);
        if (value === undefined) return [];
        return [
          {
            date: figure.date,
            subject,
            value,
            dayChange: change(value, valueOf(byDate.get(addDays(figure.date, -1)), subject)),
            weekChange: change(value, valueOf(byDate.get(addDays(figure.date, -7)), subject)),
          },
        ];
      }),
    );
}

export interface KeyedChange {
  key: string;
  current: number;
  previous: number | undefined;
  change: Change | null;
}

/** The biggest keys of `current` (applications), with their change from `previous`; ties by name. */
export function topWithChange(current: ReadonlyMap<string, number>, previous: ReadonlyMap<string, number> | undefined, limit: number): KeyedChange[] {
  return [...current]
    .sort(([leftKey, left], [rightKey, right]) => right - left || leftKey.localeCompare(rightKey))
    .slice(0, limit)
    .map(([key, value]) => {
      const before = previous?.get(key);
      return { key, current: value, previous: before, change: change(value, before) };
    });
}
