import { z } from 'zod';
import { InputError } from '../errors.js';
import { RUN_SORT_COLUMNS, type RunCursor, type RunFilters, type RunSort } from '../persistence/runs-repository.js';
import { RUN_STATUS_NAMES } from '../persistence/schema.js';
import { parseFields } from '../config/issues.js';
import { calendarDate } from '../config/schema.js';

export const MAX_PAGE_SIZE = 200;
const LIMIT_MESSAGE = `use a whole number of runs per page, 1 or more (at most ${MAX_PAGE_SIZE} are shown)`;

// A union's own error is only "Invalid input": the caller says what the field accepts instead.
const oneOrMany = <T extends z.ZodType>(item: T, accepted: string) =>
  z.union([item, z.array(item)], { error: accepted }).transform((value) => (Array.isArray(value) ? value : [value]) as z.output<T>[]);

/** The run list's URL state: filters, sort and page, shared by `/runs` and `GET /api/runs`. */
export const runListQuerySchema = z.strictObject({
  client: z.string().max(200).optional(),
  status: oneOrMany(z.enum(RUN_STATUS_NAMES), `use ${RUN_STATUS_NAMES.join(', ')}`).optional(),
  job: z.string().max(200).optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  sort: z.enum(Object.keys(RUN_SORT_COLUMNS) as [keyof typeof RUN_SORT_COLUMNS, ...(keyof typeof RUN_SORT_COLUMNS)[]]).default('created'),
  dir: z.enum(['asc', 'desc']).default('desc'),
  cursor: z.string().max(500).optional(),
  /** Capped, not refused: a bookmarked `limit=1000` still works, with at most 200 rows. */
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int({ error: LIMIT_MESSAGE })
    .min(1, { error: LIMIT_MESSAGE })
    .default(50)
    .transform((limit) => Math.min(limit, MAX_PAGE_SIZE)),
});

export type RunListQuery = z.output<typeof runListQuerySchema>;

export interface ParsedRunList {
  query: RunListQuery;
  filters: RunFilters;
  sort: RunSort;
  cursor: RunCursor | undefined;
}

export function parseRunListQuery(raw: unknown): ParsedRunList {
  const cleaned = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([, value]) => value !== ''));
  const parsed = parseFields(runListQuerySchema, cleaned);
  if (!parsed.success) throw new InputError('invalid run list query', parsed.issues);
  const query = parsed.data;
  return {
    query,
    filters: {
      client: query.client,
      job: query.job,
      status: query.status,
      since: query.from ? new Date(`${query.from}T00:00:00Z`) : undefined,
      until: query.to ? new Date(Date.parse(`${query.to}T00:00:00Z`) + 86_400_000) : undefined,
    },
    sort: { column: query.sort, direction: query.dir },
    cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
  };
}

export function encodeCursor(cursor: RunCursor): string {
  return Buffer.from(JSON.stringify([cursor.value, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): RunCursor {
  try {
    const [value, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if ((typeof value === 'string' || typeof value === 'number') && Number.isSafeInteger(id)) return { value, id: id as number };
  } catch {
    // Falls through to the input error below.
  }
  throw new InputError('invalid run list query', [{ path: 'cursor', message: 'not a cursor from a previous page; start from the first page' }]);
}

/** The URL of the same list with some parameters changed (undefined removes one). */
export function listUrl(base: string, query: Partial<Record<keyof RunListQuery, unknown>>, changes: Partial<Record<keyof RunListQuery, unknown>>): string {
  const current: Record<string, unknown> = query;
  const changed: Record<string, unknown> = changes;
  const params = new URLSearchParams();
  // The entries of `{ ...query, ...changes }`, in its order, without building it: spreading one
  // object over another was most of this function's cost, and the run list calls it per link.
  for (const key of Object.keys(current)) appendParam(params, key, Object.hasOwn(changed, key) ? changed[key] : current[key]);
  for (const key of Object.keys(changed)) if (!Object.hasOwn(current, key)) appendParam(params, key, changed[key]);
  const text = params.toString();
  return text ? `${base}?${text}` : base;
}

/** Adds a list parameter unless it is empty or the default, which the URL leaves out. */
function appendParam(params: URLSearchParams, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '') return;
  if (key === 'limit' && value === 50) return;
  if (key === 'sort' && value === 'created') return;
  if (key === 'dir' && value === 'desc') return;
  for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
}
