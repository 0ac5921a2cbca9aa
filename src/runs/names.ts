import { InputError } from '../errors.js';
import { addDays } from '../insight/calendar.js';

/**
 * Run names and run ids (pure).
 * - name: `YYYYMMDDhhmmss` (UTC) of creation, `_N` on collision: the unique key in job_logs.
 * - short id: `YYMMDD-HHMMSS[-N][-client]`: the display and input form.
 * Legacy ids (ISO 8601, `YYYY-MM-DD_HH-MM-SS`, epoch milliseconds) are accepted as input.
 */

export const RUN_NAME_PATTERN = /^\d{14}(_\d+)?$/;
const SHORT_ID_PATTERN = /^(\d{6})-(\d{6})(?:-(\d+))?(?:-([A-Za-z][A-Za-z0-9_.-]*))?$/;
const LEGACY_UNDERSCORE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{2})$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const EPOCH_MS_PATTERN = /^\d{12,13}$/;

export type RunRefFormat = 'name' | 'short-id' | 'iso-8601' | 'legacy-underscore' | 'epoch-ms';

export interface RunRef {
  name: string;
  client?: string;
  format: RunRefFormat;
}

export function runNameBase(at: Date): string {
  const iso = at.toISOString();
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
}

export function runNameWithSuffix(base: string, suffix: number): string {
  return suffix === 0 ? base : `${base}_${suffix}`;
}

export function isRunName(value: string): boolean {
  return RUN_NAME_PATTERN.test(value) && isRealTimestamp(value.slice(0, 14));
}

/** `20251215143022_2` → `251215-143022-2`, with `-client` appended for a non-default client. */
export function toShortId(name: string, client?: string): string {
  if (!isRunName(name)) throw new InputError(`${name} is not a run name (expected YYYYMMDDhhmmss or YYYYMMDDhhmmss_N)`);
  let id = `${name.slice(2, 8)}-${name.slice(8, 14)}`;
  if (name.length > 14) id += `-${name.slice(15)}`;
  if (client !== undefined && client !== 'default') id += `-${client}`;
  return id;
}

export function detectRunRefFormat(input: string): RunRefFormat | undefined {
  const value = input.trim();
  if (RUN_NAME_PATTERN.test(value)) return 'name';
  if (SHORT_ID_PATTERN.test(value)) return 'short-id';
  if (LEGACY_UNDERSCORE_PATTERN.test(value)) return 'legacy-underscore';
  if (ISO_PATTERN.test(value)) return 'iso-8601';
  if (EPOCH_MS_PATTERN.test(value)) return 'epoch-ms';
  return undefined;
}

/** Any accepted form → the run name to look up. Throws InputError for anything else. */
export function parseRunRef(input: string): RunRef {
  const value = input.trim();
  const format = detectRunRefFormat(value);
  const invalid = (why: string) =>
    new InputError(`"${truncateForMessage(value)}" is not a run name or id: ${why}`, [], {
      hint: 'use a run name such as 20251215143022 or a short id such as 251215-143022',
    });
  switch (format) {
    case 'name':
      if (!isRunName(value)) throw invalid('not a real date and time');
      return { name: value, format };
    case 'short-id': {
      const match = SHORT_ID_PATTERN.exec(value);
      const [, date = '', time = '', suffix, client] = match ?? [];
      const name = runNameWithSuffix(`20${date}${time}`, suffix === undefined ? 0 : Number(suffix));
      if (!isRunName(name)) throw invalid('not a real date and time');
      return client === undefined ? { name, format } : { name, client, format };
    }
    case 'legacy-underscore': {
      const [, year, month, day, hour, minute, second] = LEGACY_UNDERSCORE_PATTERN.exec(value) ?? [];
      const name = `${year}${month}${day}${hour}${minute}${second}`;
      if (!isRunName(name)) throw invalid('not a real date and time');
      return { name, format };
    }
    case 'iso-8601':
    case 'epoch-ms': {
      const at = format === 'epoch-ms' ? new Date(Number(value)) : new Date(value);
      if (Number.isNaN(at.getTime())) throw invalid('not a real date and time');
      return { name: runNameBase(at), format };
    }
    case undefined:
      throw invalid('unrecognised format');
  }
}

/** The creation time a run name encodes (UTC). */
export function runNameTime(name: string): Date {
  const stamp = name.slice(0, 14);
  return new Date(
    Date.UTC(
      Number(stamp.slice(0, 4)),
      Number(stamp.slice(4, 6)) - 1,
      Number(stamp.slice(6, 8)),
      Number(stamp.slice(8, 10)),
      Number(stamp.slice(10, 12)),
      Number(stamp.slice(12, 14)),
    ),
  );
}

/** Building a DateTimeFormat costs far more than using one: one per time zone, kept. */
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();

function wallClockFormat(timeZone: string): Intl.DateTimeFormat {
  let format = wallClockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    wallClockFormats.set(timeZone, format);
  }
  return format;
}

/**
 * The business date of `at`: the Control-M order date, YYYY-MM-DD. An order date starts at New Day
 * (`newDayTime`, HH:MM on the wall clock of `timeZone`), so before it the previous calendar day is
 * still running. Wall-clock, not elapsed time: on a DST night New Day 06:00 is still 06:00.
 */
export function businessDateOf(at: Date, timeZone: string, newDayTime = '00:00'): string {
  const parts = wallClockFormat(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((entry) => entry.type === type)?.value ?? '';
  const date = `${part('year')}-${part('month')}-${part('day')}`;
  return `${part('hour')}:${part('minute')}` < newDayTime ? addDays(date, -1) : date;
}

/**
 * Whether 14 digits `YYYYMMDDhhmmss` are a real UTC second, by arithmetic: pages check every run
 * name they show, and building a Date and its ISO string for each cost more than the rest of the row.
 * Years below 0100 are not: `Date.UTC` reads them as 19xx, so no run was ever named so.
 */
function isRealTimestamp(stamp: string): boolean {
  const year = digitsAt(stamp, 0, 4);
  const month = digitsAt(stamp, 4, 2);
  const day = digitsAt(stamp, 6, 2);
  return (
    year >= 100 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    digitsAt(stamp, 8, 2) <= 23 &&
    digitsAt(stamp, 10, 2) <= 59 &&
    digitsAt(stamp, 12, 2) <= 59
  );
}

/** The number `count` ASCII digits from `start` spell; the caller has checked they are digits. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index++) value = value * 10 + text.charCodeAt(index) - 48;
  return value;
}

/** Days in `month` (1-12) of `year` in the proleptic Gregorian calendar, as Date uses. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function truncateForMessage(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
