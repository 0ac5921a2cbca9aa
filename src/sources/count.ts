import { MissingCountError } from '../errors.js';

/**
 * Pure checks on what a source answered. A count is a JSON number that is a non-negative safe
 * integer: a string, a fraction or a negative number is a source that lies, never coerced.
 */
export function validateCount(source: string, value: unknown, where: string): number {
  if (value === undefined) throw new MissingCountError(source, `the answer has no ${where}`);
  if (value === null) throw new MissingCountError(source, `${where} is null`);
  if (typeof value !== 'number') {
    throw new MissingCountError(source, `${where} is ${describeType(value)} ${preview(value)}, expected a number`);
  }
  if (!Number.isFinite(value)) throw new MissingCountError(source, `${where} is ${String(value)}`);
  if (value < 0) throw new MissingCountError(source, `${where} is negative (${value})`);
  if (!Number.isInteger(value)) throw new MissingCountError(source, `${where} is not a whole number (${value})`);
  if (!Number.isSafeInteger(value)) throw new MissingCountError(source, `${where} is too large to count exactly (${value})`);
  return value;
}

const PATH_SEGMENT = /[^.[\]]+/g;

/** Splits `usage[0].jobExecution` or `usage.0.jobExecution` into its segments. */
export function parsePath(path: string): string[] {
  return path.match(PATH_SEGMENT) ?? [];
}

/** Follows a dot path into parsed JSON; undefined when any step is missing. */
export function readPath(value: unknown, path: string): unknown {
  let current = value;
  for (const segment of parsePath(path)) {
    if (Array.isArray(current)) {
      const index = Number(segment);
      current = Number.isInteger(index) ? current[index] : undefined;
    } else if (typeof current === 'object' && current !== null) {
      current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}

/** The messages of a Control-M style `{"errors":[{"message": ...}]}` body, if it is one. */
export function errorMessagesOf(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null || !('errors' in body)) return undefined;
  const errors = body.errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.map((entry: unknown) => {
    if (typeof entry === 'object' && entry !== null && 'message' in entry) return String(entry.message);
    return typeof entry === 'string' ? entry : JSON.stringify(entry);
  });
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `(${text.slice(0, 40)}...)` : `(${text})`;
}
