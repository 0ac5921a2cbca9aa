/** Retry delays for transient failures (pure). */

export const BACKOFF_TYPE = 'jobtally';
const MAX_DELAY_MS = 5 * 60_000;

/**
 * Exponential backoff with full jitter in its upper half, so many runs failing together do not
 * retry in lockstep. A source that said when to come back (Retry-After) is believed, within bounds.
 */
export function retryDelayMs(attemptsMade: number, baseMs: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, MAX_DELAY_MS);
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), MAX_DELAY_MS);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
