import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { listUrl, parseRunListQuery } from '../../src/http/run-query.js';

type Params = Parameters<typeof listUrl>[1];

/** The plain definition: merge, drop empty and default values, encode as a form. */
function referenceUrl(base: string, query: Params, changes: Params): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ...changes })) {
    if (value === undefined || value === null || value === '') continue;
    if ((key === 'limit' && value === 50) || (key === 'sort' && value === 'created') || (key === 'dir' && value === 'desc')) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

describe('listUrl', () => {
  it('leaves out empty and default parameters', () => {
    expect(listUrl('/runs', { sort: 'created', dir: 'desc', limit: 50, client: '' }, {})).toBe('/runs');
    expect(listUrl('/runs', { sort: 'name', dir: 'desc' }, { sort: 'created' })).toBe('/runs');
  });

  it('overrides in place, removes with undefined and appends new parameters last', () => {
    const query = { client: 'a b&c', status: ['error', 'success'], sort: 'name', dir: 'asc', limit: 100, cursor: 'WzEsMl0' } as const;
    expect(listUrl('/runs', query, { cursor: undefined, status: 'error' })).toBe('/runs?client=a+b%26c&status=error&sort=name&dir=asc&limit=100');
    expect(listUrl('/runs', { sort: 'name' }, { from: '2025-01-01', sort: 'job' })).toBe('/runs?sort=job&from=2025-01-01');
    expect(listUrl('/runs', query, { status: undefined, client: undefined, cursor: undefined, sort: 'created', dir: 'desc', limit: 50 })).toBe('/runs');
  });

  it('agrees with merging the two objects, over many combinations', () => {
    const choices: Record<string, unknown[]> = {
      client: [undefined, '', 'acme', 'a b/ü?&=#+', '\u{1F600}'],
      status: [undefined, 'error', ['pending', 'success'], []],
      job: [undefined, 'license-count'],
      from: [undefined, '2025-01-01'],
      sort: [undefined, 'created', 'name', 'total'],
      dir: [undefined, 'asc', 'desc'],
      limit: [undefined, 50, 200],
      cursor: [undefined, 'WyIyMDI1Il0'],
    };
    const keys = Object.keys(choices);
    let seed = 3;
    const pick = () => {
      const params: Record<string, unknown> = {};
      for (const key of keys) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        const options = choices[key] ?? [];
        // Absent keys and keys present as undefined both occur: the two differ for an override.
        if (seed % 3 !== 0) params[key] = options[seed % options.length];
      }
      return params as Params;
    };
    for (let sample = 0; sample < 3000; sample++) {
      const query = pick();
      const changes = pick();
      expect(listUrl('/runs', query, changes)).toBe(referenceUrl('/runs', query, changes));
    }
  });
});

describe('parseRunListQuery', () => {
  it('says which statuses a bad status filter could have been, alone or in a list', () => {
    for (const status of ['finished', ['error', 'finished']]) {
      expect(() => parseRunListQuery({ status }), JSON.stringify(status)).toThrow(
        expect.objectContaining({ constructor: InputError, issues: [{ path: 'status', message: 'use pending, processing, error, success' }] }),
      );
    }
  });
});

describe('parseRunListQuery messages', () => {
  const issuesOf = (raw: Record<string, unknown>) => {
    try {
      parseRunListQuery(raw);
    } catch (error) {
      if (error instanceof InputError) return error.issues;
      throw error;
    }
    throw new Error(`${JSON.stringify(raw)} was accepted`);
  };

  it('says what a page size, a sort column and a direction can be', () => {
    const limit = { path: 'limit', message: 'use a whole number of runs per page, 1 or more (at most 200 are shown)' };
    for (const value of ['abc', '1.5', '0', '-3']) expect(issuesOf({ limit: value }), value).toEqual([limit]);
    expect(issuesOf({ sort: 'bogus' })).toEqual([{ path: 'sort', message: 'unknown value bogus: use created, name, client, job, status, trigger, retries, finished, duration, total' }]);
    expect(issuesOf({ sort: 'totl' })).toEqual([{ path: 'sort', message: 'unknown value totl: did you mean total?' }]);
    // JavaScript's Date reads 2026-02-30 as March 2 and 2026-13-45 as no date at all (a 500 before).
    for (const date of ['2026-02-30', '2026-13-45', '26-01-01']) {
      expect(issuesOf({ from: date, to: date }), date).toEqual([
        { path: 'from', message: 'use a calendar date as YYYY-MM-DD' },
        { path: 'to', message: 'use a calendar date as YYYY-MM-DD' },
      ]);
    }
    expect(issuesOf({ dir: 'up' })).toEqual([{ path: 'dir', message: 'unknown value up: use asc, desc' }]);
  });

  it('names the parameter a misspelt one was meant to be, or lists them all', () => {
    expect(issuesOf({ clinet: 'acme' })).toEqual([{ path: '(root)', message: 'unknown key clinet: did you mean client?' }]);
    expect(issuesOf({ since: '24h' })).toEqual([{ path: '(root)', message: 'unknown key since: use client, status, job, from, to, sort, dir, cursor, limit' }]);
  });
});
