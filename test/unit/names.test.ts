import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { businessDateOf, detectRunRefFormat, isRunName, parseRunRef, RUN_NAME_PATTERN, runNameBase, runNameTime, runNameWithSuffix, toShortId } from '../../src/runs/names.js';

describe('run names', () => {
  it('formats the UTC creation time as YYYYMMDDhhmmss', () => {
    expect(runNameBase(new Date('2025-12-15T14:30:22.987Z'))).toBe('20251215143022');
    expect(runNameWithSuffix('20251215143022', 0)).toBe('20251215143022');
    expect(runNameWithSuffix('20251215143022', 3)).toBe('20251215143022_3');
  });

  it('accepts only real timestamps with an optional numeric suffix', () => {
    expect(isRunName('20251215143022')).toBe(true);
    expect(isRunName('20251215143022_12')).toBe(true);
    expect(isRunName('20251315143022')).toBe(false);
    expect(isRunName('20251215143022_')).toBe(false);
    expect(isRunName('2025121514302')).toBe(false);
    expect(isRunName('20251215143022_1a')).toBe(false);
  });

  it.each([
    ['day', '20250229120000', '20240229120000'],
    ['century leap day', '21000229120000', '20000229120000'],
    ['month', '20251301000000', '20251201000000'],
    ['day of a 30-day month', '20250431000000', '20250430000000'],
    ['hour', '20251215240000', '20251215230000'],
    ['minute', '20251215236000', '20251215235900'],
    ['second', '20251215235960', '20251215235959'],
    ['year', '00991231235959', '01000101000000'],
  ])('refuses the first impossible %s and accepts the last real one', (_part, impossible, real) => {
    expect(isRunName(impossible)).toBe(false);
    expect(isRunName(real)).toBe(true);
  });

  it('accepts exactly the stamps that survive a round trip through Date', () => {
    const roundTrips = (stamp: string) => RUN_NAME_PATTERN.test(stamp) && runNameBase(runNameTime(stamp)) === stamp;
    const two = (value: number) => String(value).padStart(2, '0');
    const years = [0, 1, 99, 100, 101, 400, 1899, 1900, 1970, 2000, 2023, 2024, 2025, 2100, 2400, 9999];
    for (const year of years) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const stamp = `${String(year).padStart(4, '0')}${two(month)}${two(day)}235959`;
          expect(isRunName(stamp), stamp).toBe(roundTrips(stamp));
        }
      }
    }
    for (let hour = 0; hour <= 99; hour += 1) {
      for (const minute of [0, 59, 60, 99]) {
        for (const second of [0, 59, 60, 99]) {
          const stamp = `20251215${two(hour)}${two(minute)}${two(second)}`;
          expect(isRunName(stamp), stamp).toBe(roundTrips(stamp));
        }
      }
    }
  });
});

describe('short ids', () => {
  it('converts names to short ids and back', () => {
    expect(toShortId('20251215143022')).toBe('251215-143022');
    expect(toShortId('20251215143022_2')).toBe('251215-143022-2');
    expect(toShortId('20251215143022_2', 'acme')).toBe('251215-143022-2-acme');
    expect(toShortId('20251215143022', 'default')).toBe('251215-143022');
    expect(parseRunRef('251215-143022')).toEqual({ name: '20251215143022', format: 'short-id' });
    expect(parseRunRef('251215-143022-2')).toEqual({ name: '20251215143022_2', format: 'short-id' });
    expect(parseRunRef('251215-143022-2-acme')).toEqual({ name: '20251215143022_2', client: 'acme', format: 'short-id' });
    expect(parseRunRef('251215-143022-acme')).toEqual({ name: '20251215143022', client: 'acme', format: 'short-id' });
  });

  it('refuses anything but a run name with an InputError', () => {
    for (const name of ['', '251215-143022', '20251215143022_', '20251215143022_x', '2025121514302', '20251315143022', '20250229000000', '20251215143022 ']) {
      expect(() => toShortId(name), name).toThrow(InputError);
    }
  });

  it('round-trips every suffix', () => {
    for (const name of ['20250101000000', '20991231235959_999']) expect(parseRunRef(toShortId(name)).name).toBe(name);
  });
});

describe('legacy run ids', () => {
  it.each([
    ['20251215143022', 'name', '20251215143022'],
    ['2025-12-15T14:30:22Z', 'iso-8601', '20251215143022'],
    ['2025-12-15T15:30:22+01:00', 'iso-8601', '20251215143022'],
    ['2025-12-15T14:30:22.123Z', 'iso-8601', '20251215143022'],
    ['2025-12-15_14-30-22', 'legacy-underscore', '20251215143022'],
    ['1765809022000', 'epoch-ms', '20251215143022'],
  ])('%s is detected as %s', (input, format, name) => {
    expect(detectRunRefFormat(input)).toBe(format);
    expect(parseRunRef(input).name).toBe(name);
  });

  it.each(['', 'abc', '../../etc/passwd', '20251232143022', '251332-143022', '2025-02-30_10-00-00', '<script>'])('rejects %j with an InputError', (input) => {
    expect(() => parseRunRef(input)).toThrow(InputError);
  });
});

describe('business dates', () => {
  it('is the calendar day in the configured zone', () => {
    const lateUtc = new Date('2025-12-15T23:30:00Z');
    expect(businessDateOf(lateUtc, 'UTC')).toBe('2025-12-15');
    expect(businessDateOf(lateUtc, 'Europe/Paris')).toBe('2025-12-16');
    expect(businessDateOf(lateUtc, 'America/New_York')).toBe('2025-12-15');
  });
});

describe('businessDateOf: the Control-M order date of a moment', () => {
  it('is the calendar day in the zone when New Day is midnight', () => {
    expect(businessDateOf(new Date('2026-12-07T23:30:00Z'), 'UTC')).toBe('2026-12-07');
    expect(businessDateOf(new Date('2026-12-07T23:30:00Z'), 'Europe/Paris')).toBe('2026-12-08');
  });

  it('keeps the previous order date until New Day, and starts the next one at New Day exactly', () => {
    expect(businessDateOf(new Date('2026-12-07T06:59:59Z'), 'UTC', '07:00')).toBe('2026-12-06');
    expect(businessDateOf(new Date('2026-12-07T07:00:00Z'), 'UTC', '07:00')).toBe('2026-12-07');
    expect(businessDateOf(new Date('2027-01-01T05:00:00Z'), 'UTC', '06:00')).toBe('2026-12-31');
  });

  it('reads New Day on the wall clock across DST nights', () => {
    // Europe/Paris springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25 (03:00 → 02:00).
    expect(businessDateOf(new Date('2026-03-29T03:59:00Z'), 'Europe/Paris', '06:00')).toBe('2026-03-28'); // 05:59 CEST
    expect(businessDateOf(new Date('2026-03-29T04:00:00Z'), 'Europe/Paris', '06:00')).toBe('2026-03-29'); // 06:00 CEST
    expect(businessDateOf(new Date('2026-10-25T04:59:00Z'), 'Europe/Paris', '06:00')).toBe('2026-10-24'); // 05:59 CET
    expect(businessDateOf(new Date('2026-10-25T05:00:00Z'), 'Europe/Paris', '06:00')).toBe('2026-10-25'); // 06:00 CET
    // New Day inside the skipped hour: 02:30 never happens that night, so 03:00 is already past it.
    expect(businessDateOf(new Date('2026-03-29T00:59:00Z'), 'Europe/Paris', '02:30')).toBe('2026-03-28'); // 01:59 CET
    expect(businessDateOf(new Date('2026-03-29T01:00:00Z'), 'Europe/Paris', '02:30')).toBe('2026-03-29'); // 03:00 CEST
  });
});
