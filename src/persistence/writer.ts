import { sql, type SQL } from 'drizzle-orm';
import type { AggregatedMetric } from '../metrics/aggregate.js';
import type { MetricValues } from '../metrics/definitions.js';
import { clampDetail } from '../runs/log-lines.js';
import type { CountBreakdown } from '../sources/types.js';
import { queryRows, type Database } from './db.js';
import { StatementBatcher } from './statement-batcher.js';
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
  /** When the run's first fetch began. */
  startedAt?: Date | undefined;
  /** The run's metrics, joined across its sources by their rules. */
  metrics?: AggregatedMetric[] | undefined;
}

export type FinishOutcome = 'finished' | 'already-finished';

interface SourceCountWrite {
  jobLogId: number;
  record: SourceCountRecord;
}

interface CompletionWrite {
  jobLogId: number;
  result: CompletedRun;
}

/**
 * The one place that writes run results. Each write is a single SQL statement, so it is one
 * transaction: either everything it stores is there, or nothing is. The two writes every run makes
 * (a source's count, the run's result) are coalesced across concurrent jobs into multi-row
 * statements; each run's outcome is still reported on its own.
 */
export class RunWriter {
  private readonly sourceCounts: StatementBatcher<SourceCountWrite, void>;
  private readonly completions: StatementBatcher<CompletionWrite, FinishOutcome>;

  constructor(private readonly db: Database) {
    this.sourceCounts = new StatementBatcher({
      execute: (writes) => this.writeSourceCounts(writes),
      key: (write) => `${write.jobLogId}:${write.record.source}`,
    });
    this.completions = new StatementBatcher({ execute: (writes) => this.writeCompletions(writes), key: (write) => String(write.jobLogId) });
  }

  /** pending → processing, with started_at when the work began; a no-op once the run has moved on. */
  async markProcessing(jobLogId: number, startedAt: Date): Promise<void> {
    await this.db.execute(sql`
      update job_logs set status = ${RUN_STATUS.processing}, started_at = coalesce(started_at, ${startedAt.toISOString()}::timestamptz), updated_at = now()
      where id = ${jobLogId} and status = ${RUN_STATUS.pending}`);
  }

  /**
   * Stores one source's count, its breakdown rows and its log line; a retried fetch replaces its
   * earlier count and breakdown. The run's own row is left alone: rewriting it costs an entry in
   * each of its indexes, and its status moves when the run finishes (or when a fetch is slow).
   */
  recordSourceCount(jobLogId: number, record: SourceCountRecord): Promise<void> {
    return this.sourceCounts.submit({ jobLogId, record });
  }

  /**
   * Stores the total and marks the run success, with its closing lines. A run already finished
   * (a retried aggregate after a crash) keeps its first result: no second totals row.
   */
  completeRun(jobLogId: number, result: CompletedRun): Promise<FinishOutcome> {
    return this.completions.submit({ jobLogId, result });
  }

  async addLines(jobLogId: number, lines: DetailLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.execute(sql`
      with touched as (update job_logs set updated_at = now() where id = ${jobLogId})
      insert into job_log_details (job_log_id, level, source, message)
      select ${jobLogId}, level, source, message from ${linesTable(lines)} order by ord`);
  }

  /**
   * Marks the run error. The first failure sets the run's message; later ones (the other source
   * failing too) only add their lines. A run that already succeeded is never turned into an error.
   */
  async failRun(jobLogId: number, message: string, lines: DetailLine[], startedAt?: Date): Promise<FinishOutcome> {
    const [row] = await queryRows<{ id: number; first: boolean }>(
      this.db,
      sql`
      with previous as (
        select id, status from job_logs where id = ${jobLogId} for update
      ), failed as (
        update job_logs set
          message = case when previous.status = ${RUN_STATUS.error} then job_logs.message else ${clampDetail(message)} end,
          status = ${RUN_STATUS.error}, finished_at = coalesce(finished_at, now()), updated_at = now(),
          started_at = coalesce(started_at, ${startedAt?.toISOString() ?? null}::timestamptz)
        from previous
        where job_logs.id = previous.id and previous.status <> ${RUN_STATUS.success}
        returning job_logs.id, previous.status <> ${RUN_STATUS.error} as first
      ), lines as (
        insert into job_log_details (job_log_id, level, source, message)
        select failed.id, l.level, l.source, l.message from failed, ${linesTable(lines)} order by l.ord
      )
      select id, first from failed`,
    );
    return row?.first ? 'finished' : 'already-finished';
  }

  private async writeSourceCounts(writes: SourceCountWrite[]): Promise<void[]> {
    const counts = writes.map(({ jobLogId, record }, ord) => ({
      ord,
      job_log_id: jobLogId,
      source: record.source,
      count: record.count,
      breakdown: record.breakdown ?? null,
      duration_ms: Math.round(record.durationMs),
      line: clampDetail(record.line),
    }));
    const breakdowns = writes.flatMap(({ jobLogId, record }) => breakdownRows(record.breakdown).map((row) => ({ job_log_id: jobLogId, source: record.source, ...row })));
    const metrics = writes.flatMap(({ jobLogId, record }) => sourceMetricRows(record.metrics).map((row) => ({ job_log_id: jobLogId, source: record.source, ...row })));
    await this.db.execute(sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(counts)}::jsonb)
          as i(ord int, job_log_id int, source text, count bigint, breakdown jsonb, duration_ms int, line text)
      ), breakdown_input as (
        select * from jsonb_to_recordset(${JSON.stringify(breakdowns)}::jsonb) as b(job_log_id int, source text, dimension text, key text, count int)
      ), metric_input as (
        select * from jsonb_to_recordset(${JSON.stringify(metrics)}::jsonb) as m(job_log_id int, source text, metric text, value float8)
      ), stored as (
        insert into source_counts (job_log_id, source, count, breakdown, duration_ms)
        select job_log_id, source, count, breakdown, duration_ms from input order by ord
        on conflict (job_log_id, source) do update
          set count = excluded.count, breakdown = excluded.breakdown, duration_ms = excluded.duration_ms, fetched_at = now()
        -- xmax is set on a row this upsert updated: a count recorded before (a retried fetch).
        returning job_log_id, source, xmax <> 0 as replaced
      ), recounted as (
        select job_log_id, source from stored where replaced
      ), stale as (
        delete from count_breakdowns c
        where ${ofRecountedSource('c')}
          and not exists (select 1 from breakdown_input b where (b.job_log_id, b.source, b.dimension, b.key) = (c.job_log_id, c.source, c.dimension, c.key))
      ), breakdown as (
        insert into count_breakdowns (job_log_id, source, dimension, key, count)
        select job_log_id, source, dimension, key, count from breakdown_input
        on conflict (job_log_id, source, dimension, key) do update set count = excluded.count
      ), stale_metrics as (
        delete from run_metrics r
        where ${ofRecountedSource('r')}
          and not exists (select 1 from metric_input m where (m.job_log_id, m.source, m.metric) = (r.job_log_id, r.source, r.metric))
      ), metrics as (
        insert into run_metrics (job_log_id, source, metric, value)
        select job_log_id, source, metric, value from metric_input
        on conflict (job_log_id, source, metric) do update set value = excluded.value
      )
      insert into job_log_details (job_log_id, level, source, message)
      select job_log_id, 'info', source, line from input order by ord`);
    return writes.map(() => undefined);
  }

  private async writeCompletions(writes: CompletionWrite[]): Promise<FinishOutcome[]> {
    const input = writes.map(({ jobLogId, result }) => ({
      id: jobLogId,
      client: result.client,
      business_date: result.businessDate,
      total: result.total,
      limit: result.limit,
      counts: result.counts,
      message: result.message,
      started_at: result.startedAt?.toISOString() ?? null,
      lines: lineRows(result.lines),
      metrics: result.metrics ?? [],
    }));
    const rows = await queryRows<{ id: number }>(
      this.db,
      sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
          as i(id int, client text, business_date date, total bigint, "limit" bigint, counts jsonb, message text, started_at timestamptz, lines jsonb, metrics jsonb)
      ), runs as materialized (
        -- Row locks in id order: concurrent batches that share runs wait for each other, never deadlock.
        -- One look-up per run: a locking subquery is planned alone, for one id, so its cached plan is
        -- the primary key even if it was made on a nearly empty table, where a plan for a list of
        -- ids (or one that filtered on status) would scan the table or every pending run.
        select run.id, run.status from (select id from input order by id) wanted
        cross join lateral (select id, status from job_logs where job_logs.id = wanted.id for no key update) run
      ), finished as (
        update job_logs set status = ${RUN_STATUS.success}, message = input.message, finished_at = now(), updated_at = now(),
               started_at = coalesce(job_logs.started_at, input.started_at, now())
        from runs, input where job_logs.id = runs.id and input.id = runs.id and runs.status in (${RUN_STATUS.pending}, ${RUN_STATUS.processing})
        returning job_logs.id, job_logs.name
      ), total as (
        insert into totals (job_log_id, client, business_date, total, "limit", counts, run_name)
        select input.id, input.client, input.business_date, input.total, input."limit", input.counts, finished.name from finished join input using (id)
        on conflict (job_log_id) do nothing
      ), metrics as (
        insert into run_metrics (job_log_id, metric, rule, value)
        select finished.id, m.metric, m.rule, m.value
        from finished join input using (id) cross join jsonb_to_recordset(input.metrics) as m(metric text, rule text, value float8)
        on conflict (job_log_id, source, metric) do nothing
      ), lines as (
        insert into job_log_details (job_log_id, level, source, message)
        select finished.id, l.level, l.source, l.message
        from finished join input using (id)
        cross join lateral ${linesFrom(sql`input.lines`)}
        order by finished.id, l.ord
      )
      select id from finished`,
    );
    const finished = new Set(rows.map((row) => row.id));
    return writes.map(({ jobLogId }) => (finished.has(jobLogId) ? 'finished' : 'already-finished'));
  }
}

/**
 * The stale-row deletes' filter: rows (as `alias`) of a source this statement recounted, the only
 * ones that can be stale. The first test does not depend on the rows scanned, so it runs once and
 * a first count (nearly all of them) skips the scan; with a plan cached while the table was small,
 * that scan would read all of it on every count.
 */
function ofRecountedSource(alias: 'c' | 'r'): SQL {
  const row = sql.raw(alias);
  return sql`exists (select 1 from recounted)
          and ${row}.job_log_id = any(array(select job_log_id from recounted))
          and exists (select 1 from recounted recount where (recount.job_log_id, recount.source) = (${row}.job_log_id, ${row}.source))`;
}

/** Detail lines as JSON objects, clamped, as the statements below read them. */
function lineRows(lines: DetailLine[]) {
  return lines.map((line) => ({ level: line.level, source: line.source ?? null, message: clampDetail(line.message) }));
}

/** A JSON array of `lineRows` (a parameter or a column) as rows `l(level, source, message, ord)` for a FROM clause. */
function linesFrom(json: SQL) {
  return sql`rows from (jsonb_to_recordset(${json}) as (level text, source text, message text)) with ordinality as l(level, source, message, ord)`;
}

/**
 * Detail lines as rows for a FROM clause. One JSON parameter keeps the statement text the same
 * whatever the number of lines, so its prepared statement is reused.
 */
function linesTable(lines: DetailLine[]) {
  return linesFrom(sql`${JSON.stringify(lineRows(lines))}::jsonb`);
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

/** One source's metrics as rows; a source's value has no rule of its own. */
function sourceMetricRows(values: MetricValues | undefined): { metric: string; value: number }[] {
  return Object.entries(values ?? {}).flatMap(([metric, value]) => (value === undefined ? [] : [{ metric, value }]));
}

function breakdownRows(breakdown: CountBreakdown | undefined): BreakdownRow[] {
  if (!breakdown) return [];
  return (Object.keys(DIMENSION_OF) as (keyof CountBreakdown)[]).flatMap((field) =>
    Object.entries(breakdown[field] ?? {}).map(([key, count]) => ({ dimension: DIMENSION_OF[field], key, count })),
  );
}
