import { describe, expect, it } from 'vitest';
import { formatAge } from '../../src/format.js';

describe('formatAge', () => {
  it('says retention ages in days from one day up, else as a duration', () => {
    expect(formatAge(90 * 86_400_000)).toBe('90 days');
    expect(formatAge(86_400_000)).toBe('1 day');
    expect(formatAge(36 * 3_600_000)).toBe('1.5 days');
    expect(formatAge(12 * 3_600_000)).toBe('720 min 0 s');
  });
});
