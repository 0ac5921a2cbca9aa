import { sql, type SQL } from 'drizzle-orm';
import type { MetricValues } from '../metrics/definitions.js';

/**
 * SQL fragments the writer puts in its statements to store run metrics: VALUES lists usable in a
 * FROM clause as `m(metric, rule, value)`, so metrics ride along in the statement that stores the
 * count or the result, never in a statement of their own.
 */
export function metricValuesTable(rows: readonly { metric: string; rule?: string | undefined; value: number }[]): SQL {
  if (rows.length === 0) return sql`(select null::text as metric, null::text as rule, null::float8 as value where false) as m`;
  const values = sql.join(
    rows.map((row) => sql`(${row.metric}::text, ${row.rule ?? null}::text, ${row.value}::float8)`),
    sql`, `,
  );
  return sql`(values ${values}) as m(metric, rule, value)`;
}

/** One source's metrics as rows (no rule: a source's value is its own). */
export function sourceMetricRows(values: MetricValues | undefined): { metric: string; value: number }[] {
  return Object.entries(values ?? {}).flatMap(([metric, value]) => (value === undefined ? [] : [{ metric, value }]));
}

/** `metric not in (...)` over what a source reports now: the rows of an earlier attempt it no longer has. */
export function staleMetricCondition(rows: readonly { metric: string }[]): SQL {
  return rows.length > 0 ? sql`metric not in (${sql.join(rows.map((row) => sql`${row.metric}::text`), sql`, `)})` : sql`true`;
}

