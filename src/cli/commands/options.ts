import { durationMs } from '../../config/schema.js';
import { InputError } from '../../errors.js';

/** `30s`, `5m`, `2h` or milliseconds, for CLI flags; bad input is exit code 2. */
export function parseDuration(value: string, flag: string): number {
  const parsed = durationMs.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success) throw new InputError(`${flag} ${value} is not a duration (use 30s, 5m, 2h or milliseconds)`);
  return parsed.data;
}

export function parsePositiveInt(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new InputError(`${flag} ${value} is not a positive whole number`);
  return parsed;
}
