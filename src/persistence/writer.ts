import { sql } from 'drizzle-orm';
import type { AggregatedMetric } from '../metrics/aggregate.js';
import type { MetricValues } from '../metrics/definitions.js';
import { clampDetail } from '../runs/log-lines.js';
import type { CountBreakdown } from '../sources/types.js';
import { queryRows, type Database } from './db.js';
import { metricValuesTable, sourceMetricRows, staleMetricCondition } from './metric-rows.js';
import { RUN_STATUS, type BreakdownDimension, type DetailLevel } from './schema.js';

export interface DetailLine {
  level: DetailLevel;
  message: string;
  source?: string | undefined;
}

export interface SourceCountRecord {
  source: string;
  count: number;
  breakdown?: CountBreakdown | undefined;
  metrics?: MetricValues | undefined;
  durationMs: number;
  line: string;
}

export interface CompletedRun {
  total: number;
  limit: number;
  counts: Record<string, number>;
  client: string;
  businessDate: string;
  message: string;
  lines: DetailLine[];
  /** The run's metrics, joined across its sources by their rules. */
  metrics?: AggregatedMetric[] | undefined;
}

export type FinishOutcome = 'finished' | 'already-finished';

/**
 * The one place that writes run results. Each method is a single SQL statement, so it is one
 * transaction: either everything it stores is there, or nothing is.
 */
export class RunWriter {
  constructor(private readonly db: Database) {}

  /** pending → processing, stamping started_at; a no-op once the run has moved on. */
  async markProcessing(jobLogId: number): Promise<void> {
    await this.db.execute(sql`
      update job_logs set status = ${RUN_STATUS.processing}, started_at = coalesce(started_at, now()), updated_at = now()
      where id = ${jobLogId} and status = ${RUN_STATUS.pending}`);
  }

  /**
   * Stores one source's count, its breakdown rows and its log line; a retried fetch replaces its
   * earlier count and breakdown.
   */
  async recordSourceCount(jobLogId: number, record: SourceCountRecord): Promise<void> {
    const rows = breakdownRows(record.breakdown);
    const stale = rows.length > 0 ? sql`(dimension, key) not in (${sql.join(rows.map((row) => sql`(${row.dimension}::text, ${row.key}::text)`), sql`, `)})` : sql`true`;
    const metrics = sourceMetricRows(record.metrics);
    await this.db.execute(sql`
      with stored as (
        insert into source_counts (job_log_id, source, count, breakdown, duration_ms)
        values (${jobLogId}, ${record.source}, ${record.count}, ${record.breakdown ? JSON.stringify(record.breakdown) : null}::jsonb, ${Math.round(record.durationMs)})
        on conflict (job_log_id, source) do update
          set count = excluded.count, breakdown = excluded.breakdown, duration_ms = excluded.duration_ms, fetched_at = now()
        returning job_log_id
      ), stale as (
        delete from count_breakdowns
        where job_log_id = ${jobLogId} and source = ${record.source} and ${stale}
      ), breakdown as (
        insert into count_breakdowns (job_log_id, source, dimension, key, count)
        select stored.job_log_id, ${record.source}, b.dimension, b.key, b.count from stored, ${breakdownTable(rows)}
        on conflict (job_log_id, source, dimension, key) do update set count = excluded.count
      ), stale_metrics as (
        delete from run_metrics where job_log_id = ${jobLogId} and source = ${record.source} and ${staleMetricCondition(metrics)}
      ), metrics as (
        insert into run_metrics (job_log_id, source, metric, value)
        select stored.job_log_id, ${record.source}, m.metric, m.value from stored, ${metricValuesTable(metrics)}
        on conflict (job_log_id, source, metric) do update set value = excluded.value
      ), touched as (
        update job_logs set updated_at = now() where id = ${jobLogId}
      )
      insert into job_log_details (job_log_id, level, source, message)
      select job_log_id, 'info', ${record.source}, ${clampDetail(record.line)} from stored`);
  }

  async addLines(jobLogId: number, lines: DetailLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.execute(sql`
      with touched as (update job_logs set updated_at = now() where id = ${jobLogId})
      insert into job_log_details (job_log_id, level, source, message)
      select ${jobLogId}, level, source, message from ${linesTable(lines)}`);
  }

  /**
   * Stores the total and marks the run success, with its closing lines. A run already finished
   * (a retried aggregate after a crash) keeps its first result: no second totals row.
   */
  async completeRun(jobLogId: number, result: CompletedRun): Promise<FinishOutcome> {
    const [row] = await queryRows<{ id: number }>(
      this.db,
      sql`
      with finished as (
        update job_logs set status = ${RUN_STATUS.success}, message = ${result.message}, finished_at = now(), updated_at = now(),
               started_at = coalesce(started_at, now())
        where id = ${jobLogId} and status in (${RUN_STATUS.pending}, ${RUN_STATUS.processing})
        returning id
      ), total as (
        insert into totals (job_log_id, client, business_date, total, "limit", counts)
        select id, ${result.client}, ${result.businessDate}::date, ${result.total}, ${result.limit}, ${JSON.stringify(result.counts)}::jsonb from finished
        on conflict (job_log_id) do nothing
      ), metrics as (
        insert into run_metrics (job_log_id, metric, rule, value)
        select finished.id, m.metric, m.rule, m.value from finished, ${metricValuesTable(result.metrics ?? [])}
        on conflict (job_log_id, source, metric) do nothing
      ), lines as (
        insert into job_log_details (job_log_id, level, source, message)
        select finished.id, l.level, l.source, l.message from finished, ${linesTable(result.lines)}
      )
      select id from finished`,
    );
    return row ? 'finished' : 'already-finished';
  }

  /**
   * Marks the run error. The first failure sets the run's message; later ones (the other source
   * failing too) only add their lines. A run that already succeeded is never turned into an error.
   */
  async failRun(jobLogId: number, message: string, lines: DetailLine[]): Promise<FinishOutcome> {
    const [row] = await queryRows<{ id: number; first: boolean }>(
      this.db,
      sql`
      with previous as (
        select id, status from job_logs where id = ${jobLogId} for update
      ), failed as (
        update job_logs set
          message = case when previous.status = ${RUN_STATUS.error} then job_logs.message else ${clampDetail(message)} end,
          status = ${RUN_STATUS.error}, finished_at = coalesce(finished_at, now()), updated_at = now()
        from previous
        where job_logs.id = previous.id and previous.status <> ${RUN_STATUS.success}
        returning job_logs.id, previous.status <> ${RUN_STATUS.error} as first
      ), lines as (
        insert into job_log_details (job_log_id, level, source, message)
        select failed.id, l.level, l.source, l.message from failed, ${linesTable(lines)}
      )
      select id, first from failed`,
    );
    return row?.first ? 'finished' : 'already-finished';
  }
}

/** A VALUES list of detail lines usable in a FROM clause as `l(level, source, message)`. */
function linesTable(lines: DetailLine[]) {
  if (lines.length === 0) return sql`(select null::text as level, null::text as source, null::text as message where false) as l`;
  const values = sql.join(
    lines.map((line) => sql`(${line.level}::text, ${line.source ?? null}::text, ${clampDetail(line.message)}::text)`),
    sql`, `,
  );
  return sql`(values ${values}) as l(level, source, message)`;
}

interface BreakdownRow {
  dimension: BreakdownDimension;
  key: string;
  count: number;
}

const DIMENSION_OF: Record<keyof CountBreakdown, BreakdownDimension> = {
  byStatus: 'status',
  byApplication: 'application',
  bySubApplication: 'sub_application',
  flags: 'flag',
};

function breakdownRows(breakdown: CountBreakdown | undefined): BreakdownRow[] {
  if (!breakdown) return [];
  return (Object.keys(DIMENSION_OF) as (keyof CountBreakdown)[]).flatMap((field) =>
    Object.entries(breakdown[field] ?? {}).map(([key, count]) => ({ dimension: DIMENSION_OF[field], key, count })),
  );
}

function breakdownTable(rows: BreakdownRow[]) {
  if (rows.length === 0) return sql`(select null::text as dimension, null::text as key, null::int as count where false) as b`;
  const values = sql.join(
    rows.map((row) => sql`(${row.dimension}::text, ${row.key}::text, ${row.count}::int)`),
    sql`, `,
  );
  return sql`(values ${values}) as b(dimension, key, count)`;
}
