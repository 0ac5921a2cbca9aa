import { durationMs } from '../../config/schema.js';
import { InputError } from '../../errors.js';

/** `30s`, `5m`, `2h`, `7d` or milliseconds, for CLI flags; bad input is exit code 2. */
export function parseDuration(value: string, flag: string, accepted = 'use 30s, 5m, 2h, 7d or milliseconds'): number {
  const parsed = durationMs.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success) throw new InputError(`${flag} ${value} is not a duration`, [{ path: flag, message: accepted }]);
  return parsed.data;
}

export function parsePositiveInt(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new InputError(`${flag} ${value} is not a positive whole number`);
  return parsed;
}
