import { describe, expect, it } from 'vitest';
import { MissingCountError } from '../../src/errors.js';
import { errorMessagesOf, readPath, validateCount } from '../../src/sources/count.js';
import { parseRetryAfter } from '../../src/sources/http-client.js';

describe('validateCount', () => {
  it('accepts non-negative safe integers, including zero', () => {
    expect(validateCount('SPA', 0, 'count')).toBe(0);
    expect(validateCount('SPA', 48_500, 'count')).toBe(48_500);
    expect(validateCount('SPA', Number.MAX_SAFE_INTEGER, 'count')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    [undefined, /has no count/],
    [null, /count is null/],
    ['12345', /a string \("12345"\)/],
    [true, /a boolean/],
    [{ value: 1 }, /an object/],
    [[1], /an array/],
    [Number.NaN, /NaN/],
    [Number.POSITIVE_INFINITY, /Infinity/],
    [-1, /negative/],
    [1.5, /not a whole number/],
    [2 ** 53, /too large/],
  ])('refuses %s', (value, reason) => {
    const error = (() => {
      try {
        validateCount('SPA', value, 'count');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(MissingCountError);
    expect((error as Error).message).toMatch(/^SPA: no valid count/);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('readPath', () => {
  const body = { usage: [{ jobExecution: 3 }], data: { 'total-count': 9 } };
  it('follows dots and indexes in either notation', () => {
    expect(readPath(body, 'usage.0.jobExecution')).toBe(3);
    expect(readPath(body, 'usage[0].jobExecution')).toBe(3);
    expect(readPath(body, 'data.total-count')).toBe(9);
  });
  it('is undefined for anything missing, never throwing', () => {
    expect(readPath(body, 'usage[1].jobExecution')).toBeUndefined();
    expect(readPath(body, 'usage.first')).toBeUndefined();
    expect(readPath(body, 'data.total-count.deeper')).toBeUndefined();
    expect(readPath(null, 'a')).toBeUndefined();
    expect(readPath(body, 'constructor')).toBeUndefined();
  });
});

describe('errorMessagesOf', () => {
  it('reads Control-M error lists and ignores other bodies', () => {
    expect(errorMessagesOf({ errors: [{ message: 'a' }, 'b', { code: 3 }] })).toEqual(['a', 'b', '{"code":3}']);
    expect(errorMessagesOf({ errors: 'nope' })).toBeUndefined();
    expect(errorMessagesOf([1])).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
