import { describe, expect, it } from 'vitest';
import { MissingCountError } from '../../src/errors.js';
import { StatusTally } from '../../src/sources/controlm-statuses.js';
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

describe('StatusTally', () => {
  function tally(rows: unknown[]) {
    const counter = new StatusTally('SPA');
    rows.forEach((row, index) => counter.add(row, `statuses[${index}]`));
    return counter.result();
  }

  it('skips container rows and counts the rest by status and application', () => {
    const result = tally([
      { type: 'Folder', status: 'Ended OK', application: 'FIN' },
      { type: 'Sub-Table', status: 'Ended OK', application: 'FIN' },
      { type: 'Command', status: 'Ended OK', application: 'FIN' },
      { type: 'Job', status: 'Ended Not OK', application: 'HR' },
      { type: 'Job', status: 'Wait User' },
    ]);
    expect(result).toEqual({
      count: 3,
      note: '3 jobs, 2 folders skipped',
      breakdown: {
        byStatus: { 'Ended OK': 1, 'Ended Not OK': 1, 'Wait User': 1 },
        byApplication: { FIN: 1, HR: 1, '(none)': 1 },
        bySubApplication: { 'FIN/(none)': 1, 'HR/(none)': 1, '(none)/(none)': 1 },
        flags: {},
      },
      metrics: { failed: 1, ordered_not_running: 1 },
    });
  });

  it('reports failed and ordered-not-running jobs as metrics, 0 when there are none', () => {
    const statuses = ['Ended Not OK', 'Ended Not OK', 'Wait Condition', 'Wait Resource', 'Wait User', 'Wait Host', 'Executing', 'Wait Workload'];
    expect(tally(statuses.map((status) => ({ status }))).metrics).toEqual({ failed: 2, ordered_not_running: 4 });
    expect(tally([{ status: 'Ended OK' }]).metrics).toEqual({ failed: 0, ordered_not_running: 0 });
  });

  it('counts a job seen twice (overlapping partitions) once, and rows without a jobId each', () => {
    const result = tally([{ jobId: 'a', status: 'Ended OK' }, { jobId: 'a', status: 'Ended OK' }, { status: 'Executing' }, { status: 'Executing' }, { jobId: '', status: 'Executing' }]);
    expect(result.count).toBe(4);
    expect(result.breakdown?.byStatus).toEqual({ 'Ended OK': 1, Executing: 3 });
  });

  it('keeps keys named like Object.prototype members as plain keys', () => {
    const result = tally([{ status: '__proto__', application: 'constructor' }, { status: '__proto__', application: 'toString' }]);
    expect(Object.getPrototypeOf(result.breakdown?.byStatus)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(result.breakdown))).toMatchObject({ byStatus: { ['__proto__']: 2 }, byApplication: { constructor: 1, toString: 1 } });
  });

  it('refuses rows that are not objects', () => {
    expect(() => tally([null])).toThrow(/statuses\[0\] is not an object/);
    expect(() => tally([{}, [1, 2]])).toThrow(/statuses\[1\] is not an object/);
  });
});
