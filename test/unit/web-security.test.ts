import { describe, expect, it } from 'vitest';
import { assertJsonDepth, assertUtf8Body, MAX_JSON_STRING, assertSafeJson } from '../../src/http/json-limits.js';
import { safeRedirectPath } from '../../src/http/redirect.js';
import { isSameOriginRequest } from '../../src/http/same-origin.js';

describe('redirect targets after login', () => {
  it('keeps same-origin paths with their query and fragment', () => {
    for (const path of ['/runs', '/runs?status=error&client=a', '/runs/20261124000000#metrics', '/insight?client=x%2Fy']) expect(safeRedirectPath(path), path).toBe(path);
  });

  it('refuses schemes, protocol-relative and backslash forms, encoded or not', () => {
    const hostile = [
      'https://evil.example',
      'javascript:alert(1)',
      '//evil.example',
      '/\\evil.example',
      '\\/evil.example',
      '/%5Cevil.example',
      '/%5cevil.example',
      '%2F%2Fevil.example',
      '/%2F/evil.example',
      '/%252F/evil.example',
      '/%255Cevil.example',
      '/\tevil.example',
      '/\t/evil.example',
      '/%09/evil.example',
      '/%0a/evil.example',
      '/%E0%A4%A',
      'runs',
      '',
      undefined,
      ['/runs'],
    ];
    for (const target of hostile) expect(safeRedirectPath(target), JSON.stringify(target)).toBe('/runs');
  });
});

describe('same-origin writes', () => {
  const host = '127.0.0.1:3000';
  it('accepts the browser saying same-origin, or an Origin naming this host or the public URL', () => {
    expect(isSameOriginRequest({ host, origin: 'http://127.0.0.1:3000', secFetchSite: 'same-origin' })).toBe(true);
    expect(isSameOriginRequest({ host, origin: 'http://127.0.0.1:3000', secFetchSite: undefined })).toBe(true);
    expect(isSameOriginRequest({ host: 'internal:3000', origin: 'https://jobtally.example.com', secFetchSite: undefined }, ['https://jobtally.example.com'])).toBe(true);
  });

  it('fails closed: other sites, other ports of this host, and requests that say nothing', () => {
    expect(isSameOriginRequest({ host, origin: 'https://evil.example', secFetchSite: 'cross-site' })).toBe(false);
    expect(isSameOriginRequest({ host, origin: 'https://evil.example', secFetchSite: undefined })).toBe(false);
    expect(isSameOriginRequest({ host, origin: 'http://127.0.0.1:3001', secFetchSite: 'same-site' })).toBe(false);
    expect(isSameOriginRequest({ host, origin: 'http://127.0.0.1:3001', secFetchSite: undefined })).toBe(false);
    expect(isSameOriginRequest({ host, origin: 'http://127.0.0.1:3000', secFetchSite: 'same-site' }), 'the browser knows better than a forged Origin').toBe(false);
    expect(isSameOriginRequest({ host, origin: undefined, secFetchSite: 'none' })).toBe(false);
    expect(isSameOriginRequest({ host, origin: undefined, secFetchSite: undefined })).toBe(false);
    expect(isSameOriginRequest({ host, origin: 'null', secFetchSite: undefined })).toBe(false);
    expect(isSameOriginRequest({ host: undefined, origin: 'http://127.0.0.1:3000', secFetchSite: undefined })).toBe(false);
  });
});

describe('JSON body limits', () => {
  const body = (text: string) => Buffer.from(text, 'utf8');
  it('refuses nesting deeper than the limit without recursing, and ignores brackets in strings', () => {
    expect(() => assertJsonDepth(body(`${'['.repeat(10_000)}${']'.repeat(10_000)}`))).toThrow(/nested deeper than 32/);
    expect(() => assertJsonDepth(body(`{"a":${'['.repeat(32)}${']'.repeat(32)}}`))).toThrow(/nested deeper/);
    expect(() => assertJsonDepth(body(`${'['.repeat(32)}${']'.repeat(32)}`))).not.toThrow();
    expect(() => assertJsonDepth(body(JSON.stringify({ s: '[[[[\\"'.repeat(100) })))).not.toThrow();
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => assertUtf8Body(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).toThrow(/not valid UTF-8/);
    expect(() => assertUtf8Body(body('{"k":"é ✓ 𝄞"}'))).not.toThrow();
  });

  it('refuses prototype keys, long strings and unpaired surrogates', () => {
    const parse = (text: string) => {
      const value = JSON.parse(text) as unknown;
      assertSafeJson(value);
      return value;
    };
    for (const key of ['__proto__', 'constructor', 'prototype']) expect(() => parse(`{"parameters":{"${key}":{"polluted":true}}}`), key).toThrow(/not allowed/);
    expect(() => parse(JSON.stringify({ a: 'x'.repeat(MAX_JSON_STRING + 1) }))).toThrow(/longer than/);
    expect(() => parse(JSON.stringify({ ['k'.repeat(MAX_JSON_STRING + 1)]: 1 }))).toThrow(/longer than/);
    expect(() => parse('{"a":"\\ud800"}')).toThrow(/surrogate/);
    expect(parse('{"a":"\\ud834\\udd1e","b":[1,{"c":null}]}')).toEqual({ a: '𝄞', b: [1, { c: null }] });
  });
});
