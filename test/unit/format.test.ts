import { describe, expect, it } from 'vitest';
import { formatAge, formatCount } from '../../src/format.js';

describe('formatAge', () => {
  it('says retention ages in days from one day up, else as a duration', () => {
    expect(formatAge(90 * 86_400_000)).toBe('90 days');
    expect(formatAge(86_400_000)).toBe('1 day');
    expect(formatAge(36 * 3_600_000)).toBe('1.5 days');
    expect(formatAge(12 * 3_600_000)).toBe('720 min 0 s');
  });
});

describe('formatCount', () => {
  const intl = new Intl.NumberFormat('en-US');

  it('groups thousands with commas', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
    expect(formatCount(-999)).toBe('-999');
    expect(formatCount(-0)).toBe('-0');
    expect(formatCount(Number.MAX_SAFE_INTEGER)).toBe('9,007,199,254,740,991');
    expect(formatCount(Number.MIN_SAFE_INTEGER)).toBe('-9,007,199,254,740,991');
  });

  it('writes exactly what Intl en-US writes, for integers of every length and sign', () => {
    const values: number[] = [];
    for (let power = 1; power <= Number.MAX_SAFE_INTEGER; power *= 10) values.push(power - 1, power, power + 1, 2 * power - 1, 5 * power);
    for (let value = -2000; value <= 2000; value++) values.push(value);
    let seed = 42;
    for (let sample = 0; sample < 20_000; sample++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const magnitude = Math.floor((seed / 2 ** 31) * 10 ** (1 + (sample % 16)));
      values.push(magnitude, -magnitude);
    }
    for (const value of values) {
      expect(formatCount(value)).toBe(intl.format(value));
      expect(formatCount(-value)).toBe(intl.format(-value));
    }
  });

  it('leaves everything else to Intl', () => {
    for (const value of [1.5, -1234.5678, 0.0004, 2 ** 53, -(2 ** 60), 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(formatCount(value)).toBe(intl.format(value));
    }
  });
});
