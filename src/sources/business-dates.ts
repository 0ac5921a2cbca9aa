import type { SourceConfig } from '../config/load.js';
import { businessDateOf } from '../runs/names.js';

/**
 * Which business dates a source can count (pure). Control-M's `run/jobs/status` can be asked for
 * any order date its active environment still holds, and the SaaS usage report keeps past days;
 * `usage/jobs` and the generic sources only know what they hold now: the current day.
 */
export function countsPastDates(source: Pick<SourceConfig, 'type'> & { mode?: string }): boolean {
  switch (source.type) {
    case 'controlm':
      return source.mode !== 'usage';
    case 'static':
      return true;
    default:
      return false;
  }
}

export interface BusinessClock {
  timezone: string;
  /** The top-level New Day, for sources without their own. */
  newDayTime: string;
}

/** The Control-M day a source is in at `now`: its own New Day if it has one. */
export function currentBusinessDate(source: { newDayTime?: string | undefined }, clock: BusinessClock, now: Date): string {
  return businessDateOf(now, clock.timezone, source.newDayTime ?? clock.newDayTime);
}

/**
 * Why a run for `businessDate` cannot be counted by these sources, or undefined when it can: a
 * date none of them has reached yet, or a past date asked of a source that only knows today.
 * Counting anyway would store one day's figure under another date.
 */
export function uncountableDateReason(businessDate: string, sources: readonly SourceConfig[], clock: BusinessClock, now: Date): string | undefined {
  const reasons: string[] = [];
  for (const source of sources) {
    const today = currentBusinessDate(source, clock, now);
    if (businessDate > today) reasons.push(`${source.name} is still in Control-M day ${today}`);
    else if (businessDate < today && !countsPastDates(source)) reasons.push(`${source.name} (${describeKind(source)}) can only count its current Control-M day, ${today}`);
  }
  if (reasons.length === 0) return undefined;
  return `cannot count business date ${businessDate}: ${reasons.join('; ')}`;
}

function describeKind(source: SourceConfig): string {
  return source.type === 'controlm' ? `controlm ${source.mode}` : source.type;
}
