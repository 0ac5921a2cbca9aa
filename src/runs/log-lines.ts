import { describeScope } from '../config/clients.js';
import { formatCount, formatDuration, formatPercent } from '../format.js';

/** The run log reads like a story; these are its sentences (pure). */

export const MAX_DETAIL_LENGTH = 5000;
const TRUNCATION_MARKER = ' [truncated: message was %d characters]';

/** Details are capped at 5,000 characters; longer input is cut with a marker, never rejected. */
export function clampDetail(message: string): string {
  if (message.length <= MAX_DETAIL_LENGTH) return message;
  const marker = TRUNCATION_MARKER.replace('%d', formatCount(message.length));
  return message.slice(0, MAX_DETAIL_LENGTH - marker.length) + marker;
}

export function queuedLine(input: {
  trigger: string;
  sources: readonly string[];
  limit: number;
  businessDate: string;
  retriedFrom?: string | undefined;
  complete?: boolean;
  /** The client's whole scope, to say what a partial run leaves out. */
  of?: readonly string[] | undefined;
}): string {
  const origin = input.retriedFrom ? `retry of ${input.retriedFrom}` : `${input.trigger} run`;
  const partial = input.complete === false ? ` (${describeScope(input.sources, input.of ?? input.sources)}: an ad-hoc check, never the date's figure)` : '';
  return `Queued (${origin}) for ${input.businessDate}: sources ${input.sources.join(', ')}${partial}; limit ${formatCount(input.limit)}`;
}

export function fetchedLine(source: string, count: number, durationMs: number, note?: string): string {
  const extra = note ? `, ${note}` : '';
  return `${source}: ${formatCount(count)} job execution${count === 1 ? "" : "s"} in ${formatDuration(durationMs)}${extra}`;
}

export function retryingLine(reason: string, attempt: number, attempts: number, delayMs: number | undefined): string {
  const when = delayMs === undefined ? 'retrying' : `retrying in ${formatDuration(delayMs)}`;
  return `attempt ${attempt} of ${attempts} failed: ${reason}; ${when}`;
}

export function totalLine(total: number, limit: number): string {
  return `Total ${formatCount(total)} of limit ${formatCount(limit)} (${formatPercent(total, limit)})`;
}

export function successLine(total: number, durationMs: number): string {
  return `Run succeeded: total ${formatCount(total)} stored in ${formatDuration(durationMs)}`;
}
