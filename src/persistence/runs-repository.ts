import { and, asc, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { Batcher } from '../batcher.js';
import type { RunGroup } from '../insight/completeness.js';
import { RUN_METRICS } from '../metrics/definitions.js';
import { runNameBase } from '../runs/names.js';
import { clampDetail } from '../runs/log-lines.js';
import { queryRows, type Database } from './db.js';
import { parsedJson, relatedOf, RUN_COLUMNS, runListRowOf, runOf, type RunListRecord, type RunListRow, type RunRecord, type RunRelatedRecord } from './run-rows.js';
import {
  countBreakdowns,
  DERIVED_RUN_METRIC,
  DERIVED_SOURCE_METRIC_COLUMNS,
  jobLogs,
  RUN_STATUS,
  RUN_STATUS_NAMES,
  runStatusCounts,
  totals,
  type CountBreakdownRow,
  type JobLog,
  type JobLogDetail,
  type RunMetricRow,
  type RunStatusName,
  type RunTrigger,
  type SourceCount,
  type Total,
} from './schema.js';

export interface NewRun {
  job: string;
  client: string;
  parameters: Record<string, unknown>;
  trigger: RunTrigger;
  businessDate: string;
  /**
   * Its scope, fixed now: the sources it counts, the limit applied, and whether that is all of its
   * client's sources. Without one it is complete, its scope unrecorded (runs of the tools that load history).
   */
  scope?: { sources: string[]; limit: number; complete: boolean };
  retriedFrom?: string | undefined;
  retryCount?: number;
  idempotencyKey?: string | undefined;
  /** First line of the run log, written with the row. */
  firstLine: string;
  now?: Date;
}

export interface CreatedRun {
  run: Pick<JobLog, 'id' | 'name' | 'client' | 'job' | 'businessDate' | 'parameters' | 'status' | 'createdAt' | 'scopeSources' | 'scopeLimit' | 'complete'>;
  /** False when the idempotency key already named a run: that run is returned instead. */
  created: boolean;
}

export interface RunFilters {
  status?: RunStatusName[] | undefined;
  client?: string | undefined;
  job?: string | undefined;
  /** created_at >= since */
  since?: Date | undefined;
  /** created_at < until */
  until?: Date | undefined;
}

/**
 * What the run list can be sorted by. Nullable values sort through a coalesce (unfinished runs
 * last in descending order), so every key is total and keyset paging stays exact. The indexed
 * ones (created, status, client) stay fast at millions of runs; the others sort what the filters
 * leave.
 */
export const RUN_SORT_COLUMNS = {
  created: jobLogs.createdAt,
  name: jobLogs.name,
  client: jobLogs.client,
  job: jobLogs.job,
  status: jobLogs.status,
  trigger: jobLogs.trigger,
  retries: jobLogs.retryCount,
  finished: sql`coalesce(${jobLogs.finishedAt}, '-infinity'::timestamptz)`,
  duration: sql`coalesce(extract(epoch from (${jobLogs.finishedAt} - ${jobLogs.startedAt})), -1)`,
  total: sql`coalesce(${totals.total}, -1)`,
} as const;
export type RunSortColumn = keyof typeof RUN_SORT_COLUMNS;

export interface RunSort {
  column: RunSortColumn;
  direction: 'asc' | 'desc';
}

export const DEFAULT_RUN_SORT: RunSort = { column: 'created', direction: 'desc' };

/** Keyset cursor: the sort value and id of the last row of the previous page. */
export interface RunCursor {
  value: string | number;
  id: number;
}

export type { RunListRow } from './run-rows.js';

export interface LatestTotal {
  client: string;
  total: number;
  limit: number;
  createdAt: Date;
}

export interface DailyTotal {
  client: string;
  businessDate: string;
  total: number;
  limit: number;
  runName: string;
  createdAt: Date;
}

export interface Breach {
  client: string;
  businessDate: string;
  runName: string;
  /** The total it counted, over its limit: not a figure. */
  total: number;
  limit: number;
  /** False for an ad-hoc run over some sources: the day is over its limit all the same. */
  complete: boolean;
  createdAt: Date;
}

export type { RunGroup } from '../insight/completeness.js';

function sortValue(row: RunListRow, column: RunSortColumn): string | number {
  switch (column) {
    case 'created':
      return row.createdAt.toISOString();
    case 'finished':
      return row.finishedAt?.toISOString() ?? '-infinity';
    case 'duration':
      return row.finishedAt && row.startedAt ? (row.finishedAt.getTime() - row.startedAt.getTime()) / 1000 : -1;
    case 'total':
      return row.total ?? -1;
    case 'retries':
      return row.retryCount;
    default:
      return row[column];
  }
}

export interface RunPage {
  rows: RunListRow[];
  nextCursor: RunCursor | undefined;
}

export interface RunDetail {
  run: JobLog;
  details: JobLogDetail[];
  counts: SourceCount[];
  total: Total | undefined;
  retries: Pick<JobLog, 'name' | 'status' | 'createdAt'>[];
  /** The run's joined metrics (source null) first, then each source's. */
  metrics: RunMetricRow[];
}

export type StatusCounts = Record<RunStatusName, number>;

const MAX_NAME_ATTEMPTS = 50;

/** `(metric, value)` rows of a source_counts row `c` for the metrics it holds, for a VALUES list. */
const DERIVED_SOURCE_METRIC_VALUES = sql.join(
  Object.entries(DERIVED_SOURCE_METRIC_COLUMNS).map(([metric, column]) => sql`(${metric}::text, c.${sql.identifier(column)}::float8)`),
  sql`, `,
);

/**
 * Rows the run list reads, written into the statement text, for lists not filtered on a column
 * whose values are skewed (client, status, job). As a parameter, the limit made the generic plan
 * assume a tenth of the table, so Postgres planned every call again: two thirds of the list's
 * time at 1,000,000 runs. Page sizes round up to one of these, which bounds the statement texts.
 * A skewed filter keeps the parameter on purpose: a plan cached for a common client would walk
 * the whole list for a rare one, and a plan made per call picks the client's index.
 */
const CACHED_PAGE_READS = [10, 20, 50, 100, 200];

function createdRun(input: NewRun, row: { id: number; name: string; created_at: string | Date }): CreatedRun {
  return {
    created: true,
    run: {
      id: row.id,
      name: row.name,
      client: input.client,
      job: input.job,
      businessDate: input.businessDate,
      parameters: input.parameters,
      status: RUN_STATUS.pending,
      createdAt: new Date(row.created_at),
      scopeSources: input.scope?.sources ?? null,
      scopeLimit: input.scope?.limit ?? null,
      complete: input.scope?.complete ?? true,
    },
  };
}

export function statusName(code: number): RunStatusName {
  return RUN_STATUS_NAMES.find((name) => RUN_STATUS[name] === code) ?? 'pending';
}

/** Reads and creates runs. Run results are written by `RunWriter`, nowhere else. */
export class RunsRepository {
  private readonly creations: Batcher<NewRun, CreatedRun | undefined>;

  constructor(private readonly db: Database) {
    // One creation at a time: runs of one second share their name counter's row, so a second
    // statement in flight would only wait for the first one's commit (see RunWriter's completions).
    this.creations = new Batcher({ execute: (inputs) => this.insertRuns(inputs), maxInFlight: 1 });
  }

  /**
   * Inserts a pending run with a unique name. Concurrent calls share one statement: a per-second
   * counter hands out a range of `_N` suffixes atomically. The unique indexes still decide: a run
   * whose name was taken some other way, or whose idempotency key exists, takes the one-run path.
   */
  async createRun(input: NewRun): Promise<CreatedRun> {
    return (await this.creations.submit(input)) ?? this.createRunAlone(input);
  }

  /** Prepares run creation on this repository's connection, creating nothing (see RunWriter.warmUp). */
  async warmUp(): Promise<void> {
    await this.insertRuns([]);
  }

  /** One statement for many runs; `undefined` for each run the unique indexes turned away. */
  private async insertRuns(inputs: NewRun[]): Promise<(CreatedRun | undefined)[]> {
    const rows = inputs.map((input, ord) => ({
      ord,
      base: runNameBase(input.now ?? new Date()),
      job: input.job,
      client: input.client,
      parameters: input.parameters,
      trigger: input.trigger,
      retry_count: input.retryCount ?? 0,
      retried_from: input.retriedFrom ?? null,
      idempotency_key: input.idempotencyKey ?? null,
      business_date: input.businessDate,
      scope_sources: input.scope?.sources ?? null,
      scope_limit: input.scope?.limit ?? null,
      complete: input.scope?.complete ?? true,
      first_line: clampDetail(input.firstLine),
    }));
    const inserted = await queryRows<{ ord: number; id: number; name: string; created_at: string | Date }>(
      this.db,
      sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as i(
          ord int, base text, job text, client text, parameters jsonb, trigger text, retry_count int,
          retried_from text, idempotency_key text, business_date date, scope_sources jsonb, scope_limit bigint, complete boolean, first_line text)
      ), needed as (
        select base, count(*)::int as runs from input group by base
      ), counter as (
        insert into run_name_counters as c (base, next) select base, runs from needed order by base
        on conflict (base) do update set next = c.next + excluded.next
        returning c.base, c.next
      ), named as (
        select input.*, case when suffix = 0 then input.base else input.base || '_' || suffix end as name
        from (
          select input.*, counter.next - needed.runs + row_number() over (partition by input.base order by input.ord) - 1 as suffix
          from input join needed using (base) join counter using (base)
        ) input
      ), run as (
        insert into job_logs (name, job, client, parameters, trigger, retry_count, retried_from, idempotency_key, business_date, scope_sources, scope_limit, complete)
        select name, job, client, parameters, trigger, retry_count, retried_from, idempotency_key, business_date,
               case when scope_sources is not null then array(select jsonb_array_elements_text(scope_sources)) end, scope_limit, complete
        from named order by ord
        on conflict do nothing
        returning id, name, created_at
      ), first_line as (
        -- Dated as the run: the lines stored later with its counts are never dated before it.
        insert into job_log_details (job_log_id, level, message, created_at)
        select run.id, 'info', named.first_line, run.created_at from run join named using (name) order by named.ord
      )
      select named.ord, run.id, run.name, run.created_at from run join named using (name)`,
    );
    const byOrd = new Map(inserted.map((row) => [row.ord, row]));
    return inputs.map((input, ord) => {
      const row = byOrd.get(ord);
      return row ? createdRun(input, row) : undefined;
    });
  }

  /**
   * A run the batch turned away: a known idempotency key returns that run; a name taken some other
   * way moves it to the next suffix, one attempt at a time.
   */
  private async createRunAlone(input: NewRun): Promise<CreatedRun> {
    const alone = { ...input, now: input.now ?? new Date() };
    for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
      if (alone.idempotencyKey !== undefined) {
        const existing = await this.findByIdempotencyKey(alone.idempotencyKey);
        if (existing) return { created: false, run: existing };
      }
      const [created] = await this.insertRuns([alone]);
      if (created) return created;
    }
    throw new Error(`could not allocate a run name for ${runNameBase(alone.now)} after ${MAX_NAME_ATTEMPTS} attempts`);
  }

  async findByIdempotencyKey(key: string): Promise<JobLog | undefined> {
    const [run] = await this.db.select().from(jobLogs).where(eq(jobLogs.idempotencyKey, key)).limit(1);
    return run;
  }

  async findByName(name: string): Promise<JobLog | undefined> {
    const [run] = await queryRows<RunRecord>(this.db, sql`select ${RUN_COLUMNS} from job_logs where name = ${name}`);
    return run ? runOf(run) : undefined;
  }

  async findById(id: number): Promise<JobLog | undefined> {
    const [run] = await queryRows<RunRecord>(this.db, sql`select ${RUN_COLUMNS} from job_logs where id = ${id}`);
    return run ? runOf(run) : undefined;
  }

  async getDetail(name: string): Promise<RunDetail | undefined> {
    const run = await this.findByName(name);
    return run ? this.detailOf(run) : undefined;
  }

  /** Everything a run's page shows besides the run itself, in one statement (one round trip). */
  async detailOf(run: JobLog): Promise<RunDetail> {
    const [related] = await queryRows<RunRelatedRecord>(
      this.db,
      sql`
      select
        (select coalesce(json_agg(json_build_object('id', id, 'jobLogId', job_log_id, 'level', level, 'source', source, 'message', message, 'createdAt', created_at) order by created_at, id), '[]')
          from job_log_details where job_log_id = ${run.id}) as details,
        (select coalesce(json_agg(json_build_object('id', id, 'jobLogId', job_log_id, 'source', source, 'count', count, 'breakdown', breakdown, 'fetchedAt', fetched_at, 'durationMs', duration_ms) order by source), '[]')
          from source_counts where job_log_id = ${run.id}) as counts,
        (select json_build_object('id', id, 'jobLogId', job_log_id, 'client', client, 'businessDate', business_date, 'total', total, 'limit', "limit", 'counts', counts, 'runName', run_name, 'createdAt', created_at)
          from totals where job_log_id = ${run.id}) as total,
        (select coalesce(json_agg(json_build_object('name', name, 'status', status, 'createdAt', created_at) order by created_at), '[]')
          from job_logs where retried_from = ${run.name}) as retries,
        (select coalesce(json_agg(json_build_object('jobLogId', ${run.id}::int, 'source', source, 'metric', metric, 'rule', rule, 'value', value) order by source nulls first, metric), '[]')
          from (
            select source, metric, rule, value from run_metrics where job_log_id = ${run.id}
            union all
            -- The metrics other rows hold, unless stored as rows before.
            select c.source, derived.metric, null, derived.value
            from source_counts c
            cross join lateral (values ${DERIVED_SOURCE_METRIC_VALUES}) as derived(metric, value)
            where c.job_log_id = ${run.id}
              and not exists (select 1 from run_metrics m where m.job_log_id = c.job_log_id and m.source = c.source and m.metric = derived.metric)
            union all
            select null, ${DERIVED_RUN_METRIC}::text, ${RUN_METRICS[DERIVED_RUN_METRIC].rule}::text, t.total::float8
            from totals t
            where t.job_log_id = ${run.id}
              and not exists (select 1 from run_metrics m where m.job_log_id = t.job_log_id and m.source is null and m.metric = ${DERIVED_RUN_METRIC})
          ) as metric) as metrics`,
    );
    if (!related) throw new Error(`run ${run.name}: its detail query returned no row`);
    return { run, ...relatedOf(related) };
  }

  /** Keyset-paginated on (sort column, id): page 1,000 costs what page 1 costs. Newest first by default. */
  async listRuns(filters: RunFilters, page: { limit: number; cursor?: RunCursor | undefined; sort?: RunSort | undefined }): Promise<RunPage> {
    const sort = page.sort ?? DEFAULT_RUN_SORT;
    const column = RUN_SORT_COLUMNS[sort.column];
    const conditions: SQL[] = [];
    if (filters.status && filters.status.length > 0) conditions.push(inArray(jobLogs.status, filters.status.map((name) => RUN_STATUS[name])));
    if (filters.client) conditions.push(eq(jobLogs.client, filters.client));
    if (filters.job) conditions.push(eq(jobLogs.job, filters.job));
    if (filters.since) conditions.push(gte(jobLogs.createdAt, filters.since));
    if (filters.until) conditions.push(lt(jobLogs.createdAt, filters.until));
    if (page.cursor) {
      const value = sort.column === 'created' || sort.column === 'finished' ? sql`${String(page.cursor.value)}::timestamptz` : sql`${page.cursor.value}`;
      // A row comparison, not an OR of two conditions: Postgres turns it into one index range scan.
      conditions.push(sort.direction === 'desc' ? sql`(${column}, ${jobLogs.id}) < (${value}, ${page.cursor.id})` : sql`(${column}, ${jobLogs.id}) > (${value}, ${page.cursor.id})`);
    }
    const direction = sql.raw(sort.direction === 'desc' ? 'desc' : 'asc');
    const skewedFilter = Boolean(filters.client || filters.job || (filters.status && filters.status.length > 0));
    const cachedRead = skewedFilter ? undefined : CACHED_PAGE_READS.find((size) => size >= page.limit);
    const limit = cachedRead === undefined ? sql`${page.limit + 1}` : sql.raw(String(cachedRead + 1));
    const rows = await queryRows<RunListRecord>(
      this.db,
      sql`
      select ${RUN_COLUMNS}, totals.total, totals."limit"
      from job_logs left join totals on totals.job_log_id = job_logs.id
      ${conditions.length > 0 ? sql`where ${and(...conditions)}` : sql``}
      order by ${column} ${direction}, job_logs.id ${direction}
      limit ${limit}`,
    );
    const pageRows = rows.slice(0, page.limit).map(runListRowOf);
    const last = pageRows.at(-1);
    const nextCursor = rows.length > page.limit && last ? { value: sortValue(last, sort.column), id: last.id } : undefined;
    return { rows: pageRows, nextCursor };
  }

  /**
   * Each business date's figure (its latest successful complete total), newest date first, per
   * client (all of them unless one is asked for, each on its own row), over at most `days`
   * calendar days ending at the newest date that has one (and within since/until): one range of
   * daily_figures, which triggers keep in step with totals.
   */
  async dailyTotals(filters: { client?: string | undefined; since?: string | undefined; until?: string | undefined }, days = 366): Promise<DailyTotal[]> {
    const ofClient = filters.client === undefined ? sql`true` : sql`client = ${filters.client}`;
    const fromSince = filters.since ? sql`and business_date >= ${filters.since}::date` : sql``;
    const toUntil = filters.until ? sql`and business_date <= ${filters.until}::date` : sql``;
    const inRange = sql`${ofClient} ${fromSince} ${toUntil}`;
    // The newest date as a scalar subquery: computed once, whatever the planner guesses of the
    // range. A year comes back as one JSON value: parsing 365 rows field by field cost the client
    // more than the query cost the server.
    const [row] = await queryRows<{ figures: unknown }>(
      this.db,
      sql`
      select coalesce(json_agg(json_build_array(client, business_date, total, "limit", run_name, created_at) order by business_date desc, client), '[]') as figures
      from daily_figures
      where ${inRange} and business_date > (select max(business_date) from daily_figures where ${inRange}) - ${days}::int`,
    );
    const figures = parsedJson(row?.figures ?? '[]') as [string, string, number, number, string, string][];
    return figures.map(([client, businessDate, total, limit, runName, createdAt]) => ({ client, businessDate, total, limit, runName, createdAt: new Date(createdAt) }));
  }

  /**
   * Runs refused for a total over their limit (breaches), with the total they counted, of the
   * clients' business dates from `from` to `to`, newest first: one index range per client.
   */
  async breaches(clients: readonly string[], from: string, to: string): Promise<Breach[]> {
    if (clients.length === 0) return [];
    const rows = await queryRows<{ client: string; business_date: string; run_name: string; total: number; limit: number; complete: boolean; created_at: string | Date }>(
      this.db,
      sql`
      select j.client, j.business_date::text as business_date, j.name as run_name, j.counted_total::float8 as total,
             coalesce(j.scope_limit, (j.parameters->>'limit')::bigint)::float8 as "limit", j.complete, j.created_at
      from unnest(${`{${clients.join(',')}}`}::text[]) as c(client)
      cross join lateral (
        select * from job_logs j where j.client = c.client and j.business_date between ${from}::date and ${to}::date
          and j.status = ${RUN_STATUS.error} and j.counted_total > coalesce(j.scope_limit, (j.parameters->>'limit')::bigint)
      ) j
      order by j.business_date desc, j.created_at desc`,
    );
    return rows.map((row) => ({ client: row.client, businessDate: row.business_date, runName: row.run_name, total: Number(row.total), limit: Number(row.limit), complete: row.complete, createdAt: new Date(row.created_at) }));
  }

  /** A client's runs of the business dates from `from` to `to`, grouped by date, outcome and scope: what completeness is judged on. */
  async runGroups(client: string, from: string, to: string): Promise<RunGroup[]> {
    const rows = await queryRows<{ date: string; status: number; complete: boolean; sources: string[] | string; runs: number; first_at: string | Date; last_at: string | Date; latest_run: string }>(
      this.db,
      sql`
      select business_date::text as date, status, complete,
             coalesce(scope_sources, array(select jsonb_array_elements_text(coalesce(parameters->'sources', '[]')))) as sources,
             count(*)::int as runs, min(created_at) as first_at, max(created_at) as last_at, (array_agg(name order by created_at desc))[1] as latest_run
      from job_logs
      where client = ${client} and business_date between ${from}::date and ${to}::date
      group by 1, 2, 3, 4`,
    );
    return rows.map((row) => ({
      date: row.date,
      status: statusName(Number(row.status)),
      complete: row.complete,
      sources: Array.isArray(row.sources) ? row.sources : row.sources.slice(1, -1).split(',').filter(Boolean),
      runs: Number(row.runs),
      firstAt: new Date(row.first_at),
      lastAt: new Date(row.last_at),
      latestRun: row.latest_run,
    }));
  }

  /** O(1): sums the shards of run_status_counts, which a trigger keeps exact inside every write. */
  async statusCounts(client?: string): Promise<StatusCounts> {
    const rows = await this.db
      .select({ status: runStatusCounts.status, count: sql<number>`sum(${runStatusCounts.count})`.mapWith(Number) })
      .from(runStatusCounts)
      .where(client ? eq(runStatusCounts.client, client) : undefined)
      .groupBy(runStatusCounts.status);
    const counts: StatusCounts = { pending: 0, processing: 0, error: 0, success: 0 };
    for (const row of rows) counts[statusName(row.status)] = row.count;
    return counts;
  }

  /** Runs not finished and last touched before `olderThan`: candidates for the stuck-run sweeper. */
  async findUnfinishedBefore(olderThan: Date, limit = 500): Promise<JobLog[]> {
    return this.db
      .select()
      .from(jobLogs)
      .where(and(inArray(jobLogs.status, [RUN_STATUS.pending, RUN_STATUS.processing]), lt(jobLogs.updatedAt, olderThan)))
      .orderBy(asc(jobLogs.updatedAt))
      .limit(limit);
  }

  /** The latest successful total of each client: one index probe per client (clients come from the small counts table). */
  async latestTotalPerClient(): Promise<LatestTotal[]> {
    const rows = await queryRows<{ client: string; total: number; limit: number; created_at: string | Date }>(
      this.db,
      sql`select c.client, t.total::float8 as total, t."limit"::float8 as "limit", t.created_at
        from (select client from run_status_counts group by client having sum(count) > 0) c
        cross join lateral (select total, "limit", created_at from daily_figures f where f.client = c.client order by business_date desc limit 1) t`,
    );
    return rows.map((row) => ({ client: row.client, total: row.total, limit: row.limit, createdAt: new Date(row.created_at) }));
  }

  /** Clients that have runs at all, for checks that must also notice a client that never succeeded. */
  async clientsWithRuns(): Promise<string[]> {
    const rows = await queryRows<{ client: string }>(this.db, sql`select client from run_status_counts group by client having sum(count) > 0 order by client`);
    return rows.map((row) => row.client);
  }

  /** A run's breakdown rows, biggest first within each source and dimension. */
  async breakdownsOf(jobLogId: number): Promise<CountBreakdownRow[]> {
    return this.db
      .select()
      .from(countBreakdowns)
      .where(eq(countBreakdowns.jobLogId, jobLogId))
      .orderBy(asc(countBreakdowns.source), asc(countBreakdowns.dimension), desc(countBreakdowns.count), asc(countBreakdowns.key));
  }
}
