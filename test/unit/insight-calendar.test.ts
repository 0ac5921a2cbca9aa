import { describe, expect, it } from 'vitest';
import { addDays, clockLabel, daysBetween, hourOfDay, isIsoDate, secondsIntoDay, wallClock, weekdayName, weekdayOf, zonedInstant } from '../../src/insight/calendar.js';

describe('business date arithmetic', () => {
  it('moves across month ends, year ends and leap days', () => {
    expect(addDays('2025-01-31', 1)).toBe('2025-02-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2026-01-03', -7)).toBe('2025-12-27');
  });

  it('is not moved by DST changes (dates are zone-free)', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addDays('2026-10-25', -1)).toBe('2026-10-24');
  });

  it('finds the same weekday a week before, across a year end', () => {
    const date = '2026-01-02';
    expect(weekdayName(date)).toBe('Friday');
    expect(addDays(date, -7)).toBe('2025-12-26');
    expect(weekdayOf(addDays(date, -7))).toBe(weekdayOf(date));
  });

  it('counts days between dates', () => {
    expect(daysBetween('2025-12-25', '2026-01-01')).toBe(7);
    expect(daysBetween('2026-01-01', '2025-12-25')).toBe(-7);
    expect(daysBetween('2024-02-01', '2024-03-01')).toBe(29);
  });

  it('tells real dates from look-alikes', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-13-01')).toBe(false);
    expect(isIsoDate('2025-1-01')).toBe(false);
    expect(() => addDays('yesterday', 1)).toThrow(RangeError);
  });
});

describe('wall clock in a time zone', () => {
  it('reads the local date, hour and seconds into the day', () => {
    const at = new Date('2026-01-15T23:30:05Z');
    expect(wallClock(at, 'Europe/Paris')).toEqual({ date: '2026-01-16', hour: 0, minute: 30, second: 5 });
    expect(secondsIntoDay(at, 'Europe/Paris')).toBe(30 * 60 + 5);
    expect(secondsIntoDay(at, 'UTC')).toBe(23 * 3600 + 30 * 60 + 5);
  });

  it('maps a wall-clock time back to its instant, in winter and summer', () => {
    expect(zonedInstant('2026-01-15', 14 * 3600, 'Europe/Paris').toISOString()).toBe('2026-01-15T13:00:00.000Z');
    expect(zonedInstant('2026-07-15', 14 * 3600, 'Europe/Paris').toISOString()).toBe('2026-07-15T12:00:00.000Z');
    expect(zonedInstant('2026-07-15', 14 * 3600, 'America/New_York').toISOString()).toBe('2026-07-15T18:00:00.000Z');
    expect(zonedInstant('2026-12-31', 86_400, 'UTC').toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('moves a time skipped by the spring change on by the gap, and takes the first of a repeated one', () => {
    // Paris: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST goes back to 02:00 CET.
    expect(zonedInstant('2026-03-29', 2.5 * 3600, 'Europe/Paris').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(zonedInstant('2026-03-29', 3 * 3600, 'Europe/Paris').toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(zonedInstant('2026-10-25', 2.5 * 3600, 'Europe/Paris').toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedInstant('2026-10-25', 4 * 3600, 'Europe/Paris').toISOString()).toBe('2026-10-25T03:00:00.000Z');
  });

  it('round-trips every hour of a DST day', () => {
    for (let hour = 0; hour < 24; hour++) {
      const at = zonedInstant('2026-10-25', hour * 3600, 'Europe/Paris');
      expect(wallClock(at, 'Europe/Paris')).toEqual({ date: '2026-10-25', hour, minute: 0, second: 0 });
    }
  });

  it('reads the hour alone as the wall clock does, midnight as 0, across both DST changes', () => {
    expect(hourOfDay(new Date('2026-01-15T23:30:05Z'), 'Europe/Paris')).toBe(0);
    expect(hourOfDay(new Date('2026-01-15T22:59:59Z'), 'Europe/Paris')).toBe(23);
    expect(hourOfDay(new Date('2026-07-15T12:00:00Z'), 'Asia/Kathmandu')).toBe(17);
    for (const day of ['2026-03-29', '2026-10-25']) {
      for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
        const at = new Date(Date.parse(`${day}T00:00:00Z`) + minutes * 60_000);
        expect(hourOfDay(at, 'Europe/Paris')).toBe(wallClock(at, 'Europe/Paris').hour);
      }
    }
  });

  it('labels clock times', () => {
    expect(clockLabel(0)).toBe('00:00');
    expect(clockLabel(14 * 3600 + 5 * 60 + 59)).toBe('14:05');
    expect(clockLabel(86_400)).toBe('00:00');
  });
});
