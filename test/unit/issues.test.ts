import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssuePath, parseFields, unknownNameMessage } from '../../src/config/issues.js';

describe('unknownNameMessage', () => {
  const known = ['limit', 'nearLimitPercent', 'timezone', 'sources', 'schedules', 'web'];

  it('names the known key a typo was meant to be, whatever its case', () => {
    expect(unknownNameMessage('key', 'limt', known)).toBe('unknown key limt: did you mean limit?');
    expect(unknownNameMessage('key', 'TimeZone', known)).toBe('unknown key TimeZone: did you mean timezone?');
    expect(unknownNameMessage('key', 'nearLimitPct', known)).toBe('unknown key nearLimitPct: did you mean nearLimitPercent?');
    expect(unknownNameMessage('key', 'source', known)).toBe('unknown key source: did you mean sources?');
    expect(unknownNameMessage('key', 'form', ['client', 'from', 'to'])).toBe('unknown key form: did you mean from?');
  });

  it('offers every key that is equally near', () => {
    expect(unknownNameMessage('key', 'frm', ['from', 'farm', 'to'])).toBe('unknown key frm: did you mean from or farm?');
  });

  it('lists the keys when none is near, so a short key is not matched to anything', () => {
    expect(unknownNameMessage('key', 'port', known)).toBe('unknown key port: use limit, nearLimitPercent, timezone, sources, schedules, web');
    expect(unknownNameMessage('key', 'tx', ['to', 'tz'])).toBe('unknown key tx: use to, tz');
    expect(unknownNameMessage('key', 'TZ', ['to', 'tz'])).toBe('unknown key TZ: did you mean tz?');
    expect(unknownNameMessage('key', 'xyz', [])).toBe('unknown key xyz');
  });
});

describe('parseFields', () => {
  const schema = z.strictObject({
    name: z.string(),
    every: z.number().optional(),
    nested: z.strictObject({ port: z.number() }).optional(),
  });

  it('reports each unknown key at the object that has it, with the keys that object takes', () => {
    const parsed = parseFields(schema, { name: 'a', evry: 5, nested: { prt: 1, port: 2 } });
    expect(parsed).toEqual({
      success: false,
      issues: [
        { path: 'nested', message: 'unknown key prt: did you mean port?' },
        { path: '(root)', message: 'unknown key evry: did you mean every?' },
      ],
    });
  });

  it('puts several unknown keys of one object in one message, and names the root as asked', () => {
    const parsed = parseFields(schema, { name: 'a', evry: 5, colour: 'red' }, { root: 'body' });
    expect(parsed).toEqual({ success: false, issues: [{ path: 'body', message: 'unknown key evry: did you mean every?; unknown key colour: use name, every, nested' }] });
  });

  it('keeps the messages of other issues and returns the data when it parses', () => {
    expect(parseFields(schema, { name: 1 })).toEqual({ success: false, issues: [{ path: 'name', message: 'Invalid input: expected string, received number' }] });
    expect(parseFields(schema, { name: 'a', every: 5 })).toEqual({ success: true, data: { name: 'a', every: 5 } });
  });
});

describe('parseFields on values', () => {
  const schema = z.strictObject({
    mode: z.enum(['usage', 'jobs-status']).optional(),
    level: z.literal(3).optional(),
    source: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('static') }), z.strictObject({ type: z.literal('sql') })]).optional(),
  });

  it('names the value a misspelt one was meant to be, for an enum and for a discriminator', () => {
    expect(parseFields(schema, { mode: 'usge', source: { type: 'statik' } })).toEqual({
      success: false,
      issues: [
        { path: 'mode', message: 'unknown value usge: did you mean usage?' },
        { path: 'source.type', message: 'unknown type statik: did you mean static?' },
      ],
    });
    expect(parseFields(schema, { mode: 5, source: { type: 'http' } })).toEqual({
      success: false,
      issues: [
        { path: 'mode', message: 'unknown value 5: use usage, jobs-status' },
        { path: 'source.type', message: 'unknown type http: use static, sql' },
      ],
    });
  });

  it("leaves zod's message where the accepted values are not names", () => {
    expect(parseFields(schema, { level: 4 })).toEqual({ success: false, issues: [{ path: 'level', message: 'Invalid input: expected 3' }] });
  });
});

describe('parseFields on missing and mistyped values', () => {
  const duration = z.union([
    z.number().int().positive(),
    z.string().transform((text, ctx) => {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration` });
      return z.NEVER;
    }),
  ]);
  const schema = z.strictObject({ name: z.string(), limit: z.number().optional(), every: duration.optional(), wait: duration });

  it('says a field is required rather than that it received undefined', () => {
    expect(parseFields(schema, {})).toEqual({
      success: false,
      issues: [
        { path: 'name', message: 'required' },
        { path: 'wait', message: 'required' },
      ],
    });
  });

  it('explains a number written as text', () => {
    expect(parseFields(schema, { name: 'a', wait: 1, limit: '48,500' })).toEqual({
      success: false,
      issues: [{ path: 'limit', message: 'expected a number, not the text "48,500": write digits only, without quotes' }],
    });
  });

  it("gives a union's complaint from the one option of the input's type, or the types it takes", () => {
    expect(parseFields(schema, { name: 'a', wait: 1, every: '5 minutes' })).toEqual({ success: false, issues: [{ path: 'every', message: '"5 minutes" is not a duration' }] });
    expect(parseFields(schema, { name: 'a', wait: 1, every: -5 })).toEqual({ success: false, issues: [{ path: 'every', message: 'Too small: expected number to be >0' }] });
    expect(parseFields(schema, { name: 'a', wait: 1, every: true })).toEqual({ success: false, issues: [{ path: 'every', message: 'expected number or string' }] });
  });
});

describe('formatIssuePath', () => {
  it('writes array indexes in brackets and properties with dots', () => {
    expect(formatIssuePath(['sources', 1, 'auth', 'apiKey'])).toBe('sources[1].auth.apiKey');
    expect(formatIssuePath([])).toBe('(root)');
  });
});
