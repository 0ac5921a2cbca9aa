/**
 * Business dates and wall-clock times (pure). Dates are `YYYY-MM-DD` strings, as stored in
 * Postgres; arithmetic on them is done in UTC so no local zone or DST shift can move a day.
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const SECONDS_PER_DAY = 86_400;

export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const at = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return at.toISOString().slice(0, 10) === text;
}

function utcMidnight(date: string): number {
  const match = ISO_DATE.exec(date);
  if (!match) throw new RangeError(`${date} is not a YYYY-MM-DD date`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** `date` moved by `days` (negative goes back), across month and year ends and leap days. */
export function addDays(date: string, days: number): string {
  return new Date(utcMidnight(date) + days * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcMidnight(to) - utcMidnight(from)) / (SECONDS_PER_DAY * 1000));
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(utcMidnight(date)).getUTCDay();
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

export function weekdayName(date: string): string {
  return WEEKDAY_NAMES[weekdayOf(date)] as string;
}

export interface WallClock {
  date: string;
  hour: number;
  minute: number;
  second: number;
}

const FIELDS = {
  all: { hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' },
  hour: { hourCycle: 'h23', hour: '2-digit' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Building a DateTimeFormat costs far more than using one: one per zone and field set, kept. */
function formatterFor(timeZone: string, fields: keyof typeof FIELDS): Intl.DateTimeFormat {
  const key = `${fields} ${timeZone}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, ...FIELDS[fields] });
    formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * The hour (0 … 23) a clock on the wall in `timeZone` shows at `at`. Every successful run asks,
 * and formatting the hour alone costs an eighth of `wallClock`'s parts.
 */
export function hourOfDay(at: Date, timeZone: string): number {
  return Number(formatterFor(timeZone, 'hour').format(at));
}

/** What a clock on the wall in `timeZone` shows at the instant `at`. */
export function wallClock(at: Date, timeZone: string): WallClock {
  const parts = Object.fromEntries(formatterFor(timeZone, 'all').formatToParts(at).map((part) => [part.type, part.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** Seconds since local midnight on the wall clock (0 … 86,399), whatever DST did that day. */
export function secondsIntoDay(at: Date, timeZone: string): number {
  const clock = wallClock(at, timeZone);
  return clock.hour * 3600 + clock.minute * 60 + clock.second;
}

/** Offset of `timeZone` from UTC at `instant`, in ms (Paris in winter: +3,600,000). */
function offsetMs(instant: number, timeZone: string): number {
  const clock = wallClock(new Date(instant), timeZone);
  const asUtc = utcMidnight(clock.date) + (clock.hour * 3600 + clock.minute * 60 + clock.second) * 1000;
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant the wall clock in `timeZone` shows `date` plus `seconds` (beyond a day rolls over).
 * Like Temporal's "compatible" choice: a wall time repeated when clocks go back is its first
 * occurrence; one skipped when they go forward is moved on by the gap (02:30 becomes 03:30).
 */
export function zonedInstant(date: string, seconds: number, timeZone: string): Date {
  const wall = utcMidnight(date) + Math.round(seconds) * 1000;
  const halfDay = (SECONDS_PER_DAY / 2) * 1000;
  // The offsets in force half a day before and after: a DST change near `wall` lies between them.
  const offsetBefore = offsetMs(wall - halfDay, timeZone);
  const offsetAfter = offsetMs(wall + halfDay, timeZone);
  const candidates = [wall - offsetBefore, wall - offsetAfter].filter((instant) => instant + offsetMs(instant, timeZone) === wall);
  return new Date(candidates.length > 0 ? Math.min(...candidates) : wall - offsetBefore);
}

/** Seconds from midnight to New Day (`06:30` → 23,400): where a business date's day begins. */
export function newDaySeconds(newDayTime: string): number {
  const [hours = 0, minutes = 0] = newDayTime.split(':').map(Number);
  return hours * 3600 + minutes * 60;
}

/** `14:05` from seconds into a day. */
export function clockLabel(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${String(Math.floor(minutes / 60) % 24).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
