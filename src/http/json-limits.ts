import { isUtf8 } from 'node:buffer';
import { HttpError } from './errors.js';

/** Deepest nesting of arrays and objects a JSON body may have: ours need 3, Bull Board's job data a few more. */
export const MAX_JSON_DEPTH = 32;
/** Longest string (value or key) in a JSON body, in UTF-16 units. */
export const MAX_JSON_STRING = 4096;
/** Keys that reach an object's prototype when code copies or merges a parsed body. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A UTF-16 surrogate without its pair: JSON's `\ud800` escape can make one, UTF-8 cannot hold one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses a body that is not UTF-8: decoding would turn it into replacement characters silently. */
export function assertUtf8Body(body: Buffer): void {
  if (!isUtf8(body)) throw new HttpError(400, 'BAD_REQUEST', 'the request body is not valid UTF-8');
}

/**
 * Refuses JSON nested deeper than `maxDepth`, by counting brackets outside strings: linear, with
 * no recursion, so it runs before any parser or serialiser could overflow its stack.
 */
export function assertJsonDepth(body: Buffer, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === 0x5c) index++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > maxDepth) throw new HttpError(400, 'BAD_REQUEST', `JSON nested deeper than ${maxDepth} levels`);
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
}

/**
 * Refuses prototype keys, over-long and ill-formed strings anywhere in a parsed body. Runs after
 * `assertJsonDepth`, so its recursion is bounded.
 */
export function assertSafeJson(value: unknown): void {
  if (typeof value === 'string') {
    assertSafeString(value);
  } else if (Array.isArray(value)) {
    for (const item of value as unknown[]) assertSafeJson(item);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new HttpError(400, 'BAD_REQUEST', `the JSON key "${key}" is not allowed`);
      assertSafeString(key);
      assertSafeJson(item);
    }
  }
}

function assertSafeString(text: string): void {
  if (text.length > MAX_JSON_STRING) throw new HttpError(400, 'BAD_REQUEST', `a JSON string is longer than ${MAX_JSON_STRING} characters`);
  if (UNPAIRED_SURROGATE.test(text)) throw new HttpError(400, 'BAD_REQUEST', 'a JSON string holds an unpaired surrogate (not valid Unicode)');
}
