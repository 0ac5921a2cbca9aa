import { describe, expect, it } from 'vitest';
import { time } from '../../src/http/pages.js';

describe('time', () => {
  it('writes a UTC date and time to the second', () => {
    expect(time(new Date('2025-12-15T14:30:22.987Z'))).toBe('2025-12-15 14:30:22');
    expect(time(new Date('0099-01-02T03:04:05Z'))).toBe('0099-01-02 03:04:05');
    expect(time(null)).toBe('');
    expect(time(undefined)).toBe('');
  });

  it('pads every field', () => {
    expect(time(new Date('0005-01-02T03:04:05Z'))).toBe('0005-01-02 03:04:05');
    expect(time(new Date('9999-12-31T23:59:59.999Z'))).toBe('9999-12-31 23:59:59');
  });

  it('refuses an invalid date, as toISOString does', () => {
    expect(() => time(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('keeps the whole year of dates past 9999 and before year 0', () => {
    expect(time(new Date(Date.UTC(12_345, 0, 2, 3, 4, 5)))).toBe('+012345-01-02 03:04');
    expect(time(new Date(Date.UTC(-1, 0, 2, 3, 4, 5)))).toBe('-000001-01-02 03:04');
  });

  it.each([
    ['this century', Date.UTC(2000, 0, 1), Date.UTC(2100, 0, 1)],
    ['the whole date range', -8.64e15, 8.64e15],
  ])('agrees with replacing the T and cutting at 19 characters, over %s', (_range, earliest, latest) => {
    let seed = 11;
    for (let sample = 0; sample < 5000; sample++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const at = new Date(Math.floor(earliest + (seed / 2 ** 31) * (latest - earliest)));
      expect(time(at)).toBe(at.toISOString().replace('T', ' ').slice(0, 19));
    }
  });
});
