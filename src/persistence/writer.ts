import { sql, type SQL } from 'drizzle-orm';
import type { AggregatedMetric } from '../metrics/aggregate.js';
import type { MetricName, MetricValues } from '../metrics/definitions.js';
import { clampDetail } from '../runs/log-lines.js';
import type { CountBreakdown } from '../sources/types.js';
import { Batcher } from '../batcher.js';
import { queryRows, type Database } from './db.js';
import { DERIVED_RUN_METRIC, DERIVED_SOURCE_METRICS, RUN_STATUS, type BreakdownDimension, type DetailLevel } from './schema.js';

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
  /**
   * ms since epoch when the count came in (it travels in the fetch job's result as JSON): the
   * count and its log line are dated then, not when the run's result is written.
   */
  fetchedAt?: number | undefined;
}

export interface CompletedRun {
  total: number;
  /**
   * Whether the total is its date's figure (a complete scope). Otherwise it is stored on the run
   * (`counted_total`) and not in totals.
   */
  figure?: boolean | undefined;
  limit: number;
  counts: Record<string, number>;
  client: string;
  businessDate: string;
  message: string;
  lines: DetailLine[];
  /** Each source's count, breakdown, metrics and log line, stored with the result. */
  sources?: SourceCountRecord[] | undefined;
  /** When the run's first fetch began. */
  startedAt?: Date | undefined;
  /** The run's metrics, joined across its sources by their rules. */
  metrics?: AggregatedMetric[] | undefined;
}

export interface FailedRun {
  /** When the run's first fetch began, if one did. */
  startedAt?: Date | undefined;
  /** The counts of the sources that answered: a failed run keeps them. */
  sources?: SourceCountRecord[] | undefined;
  /** The total it counted, when that total was refused (over the limit): a breach shows it. */
  countedTotal?: number | undefined;
}

export type FinishOutcome = 'finished' | 'already-finished';

interface CompletionWrite {
  jobLogId: number;
  result: CompletedRun;
}

/**
 * The one place that writes run results. Each write is a single SQL statement, so it is one
 * transaction: either everything it stores is there, or nothing is. A run's source counts are
 * stored with its result (or with its failure), not one by one as they come in: a run then costs
 * two writes (its row, its result), and its counts never show without its outcome. Completions
 * of concurrent runs are coalesced into multi-row statements; each run's outcome is still
 * reported on its own.
 */
export class RunWriter {
  private readonly completions: Batcher<CompletionWrite, FinishOutcome>;

  constructor(private readonly db: Database) {
    // One completion at a time: the completions of a client's date update the same row (its daily
    // figure), so a second statement in flight only waits on the first one's row lock until it
    // commits, and then commits alone. Held back here instead, it joins the next batch and shares
    // its commit.
    this.completions = new Batcher({ execute: (writes) => this.writeCompletions(writes), key: (write) => String(write.jobLogId), maxInFlight: 1 });
  }

  /** pending → processing, with started_at when the work began; a no-op once the run has moved on. */
  async markProcessing(jobLogId: number, startedAt: Date): Promise<void> {
    await this.db.execute(sql`
      update job_logs set status = ${RUN_STATUS.processing}, started_at = coalesce(started_at, ${startedAt.toISOString()}::timestamptz), updated_at = now()
      where id = ${jobLogId} and status = ${RUN_STATUS.pending}`);
  }

  /**
   * Stores the total, the sources' counts and the run's closing lines, and marks it success. A run
   * already finished (a retried aggregate after a crash, a run failed meanwhile) keeps its first
   * outcome: no second totals row, no counts added.
   */
  completeRun(jobLogId: number, result: CompletedRun): Promise<FinishOutcome> {
    return this.completions.submit({ jobLogId, result });
  }

  /**
   * Stores counts of a run whose outcome was written without them: a source answered after
   * another one failed the run, or the run was finished meanwhile (the sweeper failed it). A
   * source already stored keeps its first count: each source is stored once per run.
   */
  async recordSourceCounts(jobLogId: number, records: SourceCountRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.execute(sql`
      with target as (
        select id, created_at from job_logs where id = ${jobLogId}
      ), ${storedSources(sql`target`, records.map((record) => ({ jobLogId, record })))},
      ${insertLines(sql`select job_log_id, level, source, message, at, part, ord from counted_lines`)}
      select count(*) from counted`);
  }

  async addLines(jobLogId: number, lines: DetailLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.execute(sql`
      with touched as (update job_logs set updated_at = now() where id = ${jobLogId})
      insert into job_log_details (job_log_id, level, source, message)
      select ${jobLogId}, level, source, message from ${linesTable(lines)} order by ord`);
  }

  /**
   * Marks the run error, with the counts of the sources that answered. The first failure sets the
   * run's message; later ones (the other source failing too) only add their lines. A run that
   * already succeeded is never turned into an error.
   */
  async failRun(jobLogId: number, message: string, lines: DetailLine[], failed: FailedRun = {}): Promise<FinishOutcome> {
    const sources = (failed.sources ?? []).map((record) => ({ jobLogId, record }));
    const [row] = await queryRows<{ id: number; first: boolean }>(
      this.db,
      sql`
      with previous as (
        select id, status from job_logs where id = ${jobLogId} for update
      ), failed as (
        update job_logs set
          message = case when previous.status = ${RUN_STATUS.error} then job_logs.message else ${clampDetail(message)} end,
          status = ${RUN_STATUS.error}, finished_at = coalesce(finished_at, now()), updated_at = now(),
          started_at = coalesce(started_at, ${failed.startedAt?.toISOString() ?? null}::timestamptz),
          counted_total = coalesce(job_logs.counted_total, ${failed.countedTotal ?? null}::bigint)
        from previous
        where job_logs.id = previous.id and previous.status <> ${RUN_STATUS.success}
        returning job_logs.id, job_logs.created_at, previous.status <> ${RUN_STATUS.error} as first
      ), ${storedSources(sql`failed`, sources)},
      ${insertLines(sql`
        select job_log_id, level, source, message, at, part, ord from counted_lines
        union all
        select failed.id, l.level, l.source, l.message, null, 1, l.ord from failed, ${linesTable(lines)}`)}
      select id, first from failed`,
    );
    return row?.first ? 'finished' : 'already-finished';
  }

  /**
   * Prepares the completion on this writer's connection, with nothing to complete: the statement
   * is planned and its triggers (statement triggers fire for no rows too) compiled.
   */
  async warmUp(): Promise<void> {
    await this.writeCompletions([]);
  }

  private async writeCompletions(writes: CompletionWrite[]): Promise<FinishOutcome[]> {
    const input = writes.map(({ jobLogId, result }) => ({
      id: jobLogId,
      client: result.client,
      business_date: result.businessDate,
      total: result.total,
      limit: result.limit,
      figure: result.figure ?? true,
      counts: result.counts,
      message: result.message,
      started_at: result.startedAt?.toISOString() ?? null,
      lines: lineRows(result.lines),
      metrics: (result.metrics ?? []).filter((metric) => metric.metric !== DERIVED_RUN_METRIC),
    }));
    const sources = writes.flatMap(({ jobLogId, result }) => (result.sources ?? []).map((record) => ({ jobLogId, record })));
    const rows = await queryRows<{ id: number }>(
      this.db,
      sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
          as i(id int, client text, business_date date, total bigint, "limit" bigint, figure boolean, counts jsonb, message text, started_at timestamptz, lines jsonb, metrics jsonb)
      ), runs as materialized (
        -- Row locks in id order: concurrent batches that share runs wait for each other, never deadlock.
        -- One look-up per run: a locking subquery is planned alone, for one id, so its cached plan is
        -- the primary key even if it was made on a nearly empty table, where a plan for a list of
        -- ids (or one that filtered on status) would scan the table or every pending run.
        select run.id, run.status from (select id from input order by id) wanted
        cross join lateral (select id, status from job_logs where job_logs.id = wanted.id for no key update) run
      ), finished as (
        update job_logs set status = ${RUN_STATUS.success}, message = input.message, finished_at = now(), updated_at = now(),
               started_at = coalesce(job_logs.started_at, input.started_at, now()),
               counted_total = case when input.figure then null else input.total end
        from runs, input where job_logs.id = runs.id and input.id = runs.id and runs.status in (${RUN_STATUS.pending}, ${RUN_STATUS.processing})
        returning job_logs.id, job_logs.name, job_logs.created_at
      ), total as (
        insert into totals (job_log_id, client, business_date, total, "limit", counts, run_name)
        select input.id, input.client, input.business_date, input.total, input."limit", input.counts, finished.name from finished join input using (id)
        where input.figure
        on conflict (job_log_id) do nothing
      ), metrics as (
        insert into run_metrics (job_log_id, metric, rule, value)
        select finished.id, m.metric, m.rule, m.value
        from finished join input using (id) cross join jsonb_to_recordset(input.metrics) as m(metric text, rule text, value float8)
        on conflict (job_log_id, source, metric) do nothing
      ), ${storedSources(sql`finished`, sources)},
      ${insertLines(sql`
        select job_log_id, level, source, message, at, part, ord from counted_lines
        union all
        select finished.id, l.level, l.source, l.message, null, 1, l.ord
        from finished join input using (id) cross join lateral ${linesFrom(sql`input.lines`)}`)}
      select id from finished`,
    );
    const finished = new Set(rows.map((row) => row.id));
    return writes.map(({ jobLogId }) => (finished.has(jobLogId) ? 'finished' : 'already-finished'));
  }
}

/**
 * CTEs that store source counts of the runs `target` yields (`id`, `created_at`): the counts,
 * their breakdowns and metrics, and `counted_lines`, the count lines for `insertLines`. A source
 * already stored for a run is left as it is, with its breakdown, metrics and line.
 */
function storedSources(target: SQL, sources: { jobLogId: number; record: SourceCountRecord }[]): SQL {
  const counts = sources.map(({ jobLogId, record }, ord) => ({
    ord,
    job_log_id: jobLogId,
    source: record.source,
    count: record.count,
    breakdown: record.breakdown ?? null,
    duration_ms: Math.round(record.durationMs),
    fetched_at: record.fetchedAt === undefined ? null : new Date(record.fetchedAt).toISOString(),
    line: clampDetail(record.line),
  }));
  const breakdowns = sources.flatMap(({ jobLogId, record }) => breakdownRows(record.breakdown).map((row) => ({ job_log_id: jobLogId, source: record.source, ...row })));
  const metrics = sources.flatMap(({ jobLogId, record }) => sourceMetricRows(record.metrics).map((row) => ({ job_log_id: jobLogId, source: record.source, ...row })));
  return sql`count_input as (
        select * from jsonb_to_recordset(${JSON.stringify(counts)}::jsonb)
          as c(ord int, job_log_id int, source text, count bigint, breakdown jsonb, duration_ms int, fetched_at timestamptz, line text)
      ), counted as (
        -- Dated when the count came in, within the run's life on the database's clock: a worker's
        -- clock a little off must not put the line before the run was queued or after its end.
        insert into source_counts (job_log_id, source, count, breakdown, duration_ms, fetched_at)
        select c.job_log_id, c.source, c.count, c.breakdown, c.duration_ms, least(greatest(coalesce(c.fetched_at, now()), target.created_at), now())
        from count_input c join ${target} target on target.id = c.job_log_id
        order by c.ord
        on conflict (job_log_id, source) do nothing
        returning job_log_id, source, fetched_at
      ), counted_breakdowns as (
        insert into count_breakdowns (job_log_id, source, dimension, key, count)
        select b.job_log_id, b.source, b.dimension, b.key, b.count
        from jsonb_to_recordset(${JSON.stringify(breakdowns)}::jsonb) as b(job_log_id int, source text, dimension text, key text, count int)
        join counted using (job_log_id, source)
      ), counted_metrics as (
        insert into run_metrics (job_log_id, source, metric, value)
        select m.job_log_id, m.source, m.metric, m.value
        from jsonb_to_recordset(${JSON.stringify(metrics)}::jsonb) as m(job_log_id int, source text, metric text, value float8)
        join counted using (job_log_id, source)
      ), counted_lines as (
        select c.job_log_id, 'info'::text as level, c.source, c.line as message, counted.fetched_at as at, 0 as part, c.ord::bigint as ord
        from count_input c join counted using (job_log_id, source)
      )`;
}

/**
 * The one insert of a statement's log lines, from `rows` (job_log_id, level, source, message, at,
 * part, ord): one insert, so that its ids follow the lines' order (lines of one millisecond sort
 * by id). Count lines (part 0) come first, by when they came in; then the statement's own lines
 * (part 1, `at` null), dated as they are written.
 */
function insertLines(rows: SQL): SQL {
  return sql`lines as (
        insert into job_log_details (job_log_id, level, source, message, created_at)
        select job_log_id, level, source, message, coalesce(at, clock_timestamp())
        from (${rows}) as line
        order by job_log_id, part, at, ord
      )`;
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

/**
 * The breakdowns the insight queries read as rows. The others (by server, by type, server state)
 * stay in the source count's `breakdown` JSON, shown with the run.
 */
const DIMENSION_OF = {
  byStatus: 'status',
  byApplication: 'application',
  bySubApplication: 'sub_application',
  flags: 'flag',
} as const satisfies Partial<Record<keyof CountBreakdown, BreakdownDimension>>;

/** One source's metrics as rows, but those its count row holds; a source's value has no rule of its own. */
function sourceMetricRows(values: MetricValues | undefined): { metric: string; value: number }[] {
  return (Object.entries(values ?? {}) as [MetricName, number | undefined][]).flatMap(([metric, value]) =>
    value === undefined || DERIVED_SOURCE_METRICS.includes(metric) ? [] : [{ metric, value }],
  );
}

function breakdownRows(breakdown: CountBreakdown | undefined): BreakdownRow[] {
  if (!breakdown) return [];
  return (Object.keys(DIMENSION_OF) as (keyof typeof DIMENSION_OF)[]).flatMap((field) =>
    Object.entries(breakdown[field] ?? {}).map(([key, count]) => ({ dimension: DIMENSION_OF[field], key, count })),
  );
}
