import { sql } from 'drizzle-orm';
import { Batcher } from '../batcher.js';
import type { Anomaly } from '../insight/anomaly.js';
import { addDays, newDaySeconds, SECONDS_PER_DAY } from '../insight/calendar.js';
import type { DayCurve } from '../insight/forecast.js';
import type { DailyFigure } from '../insight/trends.js';
import { PEAK_WINDOW_DAYS, type Peak } from '../insight/peak.js';
import type { ClientFigure } from '../flow/license.js';
import { clampDetail } from '../runs/log-lines.js';
import { queryRows, type Database } from './db.js';
import { parsedJson } from './run-rows.js';
import type { AnomalyRow, BreakdownDimension } from './schema.js';

export interface SameHourHistoryQuery {
  client: string;
  businessDate: string;
  /** Local hour of day (0–23) in `timeZone`. */
  hour: number;
  timeZone: string;
  /** The run being judged: never part of its own history. */
  excludeRunId: number;
  /** Only runs counted before this instant. */
  before: Date;
  runs: number;
  lookbackDays: number;
}

export interface RunFigure {
  runId: number;
  runName: string;
  businessDate: string;
  total: number;
  limit: number;
  createdAt: Date;
}

export interface BreakdownEntry {
  runId: number;
  source: string;
  dimension: BreakdownDimension;
  key: string;
  count: number;
}

export interface FoundAnomaly {
  anomaly: Anomaly;
  /** The plain-words line for the run log. */
  message: string;
}

export interface ListedAnomaly extends AnomalyRow {
  runName: string;
}

/**
 * Reads for trends, anomalies and forecasts, and the one write of anomalies. Every read of totals
 * is index ranges per business date (on client, business_date, created_at), and each date's figure
 * is one row of daily_figures, so the cost depends on the days asked for, not on how many runs are
 * stored. `npm run bench:insight` shows the plans at 100,000 runs.
 */
export class InsightRepository {
  constructor(private readonly db: Database) {}

  /** One batcher per history shape (config integers: in practice one). */
  private readonly histories = new Map<string, Batcher<SameHourHistoryQuery, Record<string, number>[]>>();

  /**
   * Per-source counts of the latest successful runs of the client counted in the same local hour
   * of day, newest first: one index range per business date (an hour of a day is one range of
   * created_at, DST included, since Postgres converts the wall time). Every successful run asks, so
   * concurrent asks share one statement.
   */
  sameHourHistory(query: SameHourHistoryQuery): Promise<Record<string, number>[]> {
    const lookbackDays = Math.trunc(query.lookbackDays);
    const runs = Math.trunc(query.runs);
    const shape = `${lookbackDays}:${runs}`;
    let batcher = this.histories.get(shape);
    if (!batcher) {
      batcher = new Batcher({ execute: (queries) => this.sameHourHistories(queries, lookbackDays, runs) });
      this.histories.set(shape, batcher);
    }
    return batcher.submit(query);
  }

  /** Prepares the history read of this shape on this repository's connection (see DatabaseHandle.warmUp). */
  async warmUp(shape: Pick<SameHourHistoryQuery, 'lookbackDays' | 'runs'>): Promise<void> {
    await this.sameHourHistories([], Math.trunc(shape.lookbackDays), Math.trunc(shape.runs));
  }

  private async sameHourHistories(queries: SameHourHistoryQuery[], lookbackDays: number, runs: number): Promise<Record<string, number>[][]> {
    const input = queries.map((query, ord) => ({
      ord,
      client: query.client,
      business_date: query.businessDate,
      hour: query.hour,
      time_zone: query.timeZone,
      exclude_run_id: query.excludeRunId,
      before: query.before.toISOString(),
    }));
    // The day count and run limit are written into the text (config integers, the same for every
    // call): as parameters, the generic plan's row estimates were so far off that Postgres planned
    // the prepared statement again on every run (0.21 ms planning for 0.11 ms running). The
    // look-ups are lateral subqueries with a limit, so each stays one index range per date.
    // The days are walked newest first and the walk stops at the run limit, with no sort over
    // them: each day's rows lie in that day's hour, so they are all newer than the next day's,
    // and a lateral join emits its rows in the order of the days. A run every 5 minutes then
    // reads two days, not all 29 (a third of the statement's time at 100,000 runs). Each asking
    // run gets one row, its history as one JSON array: one row to send and parse, not 14.
    const rows = await queryRows<{ ord: number; history: unknown }>(
      this.db,
      sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
          as i(ord int, client text, business_date date, hour int, time_zone text, exclude_run_id int, before timestamptz)
      )
      select input.ord, json_agg(recent.counts order by recent.created_at desc) as history
      from input
      cross join lateral (
        select day_runs.created_at, day_runs.counts
        from generate_series(0, ${sql.raw(String(lookbackDays))}) as back(days)
        cross join lateral (select input.business_date - back.days as day) as d
        cross join lateral (
          select t.created_at, t.counts from totals t
          where t.client = input.client and t.business_date = d.day
            and t.created_at >= (d.day + make_interval(hours => input.hour)) at time zone input.time_zone
            and t.created_at < (d.day + make_interval(hours => input.hour + 1)) at time zone input.time_zone
            and t.created_at < input.before
            and t.job_log_id <> input.exclude_run_id
          order by t.created_at desc
          limit ${sql.raw(String(runs))}
        ) as day_runs
        limit ${sql.raw(String(runs))}
      ) as recent
      group by input.ord`,
    );
    const histories = queries.map((): Record<string, number>[] => []);
    for (const row of rows) histories[row.ord] = parsedJson(row.history) as Record<string, number>[];
    return histories;
  }

  /**
   * Stores a run's anomalies and their warn lines in its log, in one statement. A run checked
   * twice (a retried job) keeps its first rows and gets no second lines.
   */
  async recordAnomalies(run: { runId: number; client: string; businessDate: string }, found: readonly FoundAnomaly[]): Promise<number> {
    if (found.length === 0) return 0;
    const values = sql.join(
      found.map(
        ({ anomaly, message }) =>
          sql`(${anomaly.kind}::text, ${anomaly.subject}::text, ${anomaly.value}::float8, ${anomaly.median}::float8, ${anomaly.low}::float8, ${anomaly.high}::float8, ${anomaly.history}::int, ${clampDetail(message)}::text)`,
      ),
      sql`, `,
    );
    const rows = await queryRows<{ id: number }>(
      this.db,
      sql`
      with stored as (
        insert into anomalies (job_log_id, client, business_date, kind, subject, value, median, low, high, history, message)
        select ${run.runId}, ${run.client}, ${run.businessDate}::date, a.kind, a.subject, a.value, a.median, a.low, a.high, a.history, a.message
        from (values ${values}) as a(kind, subject, value, median, low, high, history, message)
        on conflict (job_log_id, kind, subject) do nothing
        returning kind, subject, message
      )
      insert into job_log_details (job_log_id, level, source, message)
      select ${run.runId}, 'warn', case when kind = 'count' then subject end, message from stored
      returning id`,
    );
    return rows.length;
  }

  /** Each business date's figure (its latest successful run) from `from` to `to`, oldest first. */
  async dailyFigures(client: string, from: string, to: string): Promise<DailyFigure[]> {
    const rows = await queryRows<{ date: string; total: number; counts: Record<string, number> }>(
      this.db,
      sql`
      select business_date::text as date, total::float8 as total, counts from daily_figures
      where client = ${client} and business_date between ${from}::date and ${to}::date
      order by business_date`,
    );
    return rows.map((row) => ({ date: row.date, total: Number(row.total), counts: row.counts }));
  }

  /**
   * Every successful total of the business dates from `from` to `to`, with when it was counted in
   * wall-clock seconds into its date. Runs counted on another day than their business date
   * (backfills) say nothing about a day's curve and are left out.
   */
  /** Each point's second counts from its business date's New Day (`newDayTime`), on the wall clock. */
  async dayCurves(client: string, from: string, to: string, timeZone: string, newDayTime = '00:00'): Promise<DayCurve[]> {
    const dayStart = newDaySeconds(newDayTime);
    // In index order, and the zone conversion computed once per row: filtering on it in SQL
    // would evaluate it twice more.
    const rows = await queryRows<{ date: string; second_of_day: number; total: number }>(
      this.db,
      sql`
      select t.business_date::text as date, t.total::float8 as total,
             extract(epoch from (t.created_at at time zone ${timeZone}) - t.business_date::timestamp)::float8 - ${dayStart}::float8 as second_of_day
      from totals t
      where t.client = ${client} and t.business_date between ${from}::date and ${to}::date
      order by t.business_date, t.created_at`,
    );
    const byDate = new Map<string, { secondOfDay: number; total: number }[]>();
    for (const row of rows) {
      const secondOfDay = Number(row.second_of_day);
      if (secondOfDay < 0 || secondOfDay >= SECONDS_PER_DAY) continue;
      const points = byDate.get(row.date) ?? [];
      points.push({ secondOfDay, total: Number(row.total) });
      byDate.set(row.date, points);
    }
    return [...byDate].map(([date, points]) => ({ date, points }));
  }

  /** Every client's figure of one business date (the shared license adds them up): one index range. */
  async figuresOf(businessDate: string): Promise<ClientFigure[]> {
    const rows = await queryRows<{ client: string; total: number; run_name: string }>(
      this.db,
      sql`select client, total::float8 as total, run_name from daily_figures where business_date = ${businessDate}::date order by client`,
    );
    return rows.map((row) => ({ client: row.client, total: Number(row.total), runName: row.run_name }));
  }

  /** The client's highest figure of the 364 days before `businessDate`: the peak a new figure is compared with. */
  peakBefore(client: string, businessDate: string): Promise<Peak | undefined> {
    return this.peakIn(client, addDays(businessDate, -(PEAK_WINDOW_DAYS - 1)), addDays(businessDate, -1));
  }

  /** The client's highest figure of the dates from `from` to `to` (ties: the earliest), from its primary key range. */
  async peakIn(client: string, from: string, to: string): Promise<Peak | undefined> {
    const [row] = await queryRows<{ business_date: string; total: number }>(
      this.db,
      sql`
      select business_date::text as business_date, total::float8 as total from daily_figures
      where client = ${client} and business_date between ${from}::date and ${to}::date
      order by total desc, business_date limit 1`,
    );
    return row ? { total: Number(row.total), businessDate: row.business_date } : undefined;
  }

  /** The latest successful run of the client, or of one business date when `date` is given. */
  async latestRun(client: string, date?: string): Promise<RunFigure | undefined> {
    const [row] = await queryRows<{ run_id: number; run_name: string; business_date: string; total: number; limit: number; created_at: string | Date }>(
      this.db,
      sql`
      select job_log_id as run_id, run_name, business_date::text as business_date, total::float8 as total, "limit"::float8 as "limit", created_at
      from daily_figures f
      where f.client = ${client} ${date === undefined ? sql`` : sql`and f.business_date = ${date}::date`}
      -- The column, not the text alias of the same name: sorting the text would read every figure.
      order by f.business_date desc
      limit 1`,
    );
    return row
      ? { runId: row.run_id, runName: row.run_name, businessDate: row.business_date, total: Number(row.total), limit: Number(row.limit), createdAt: new Date(row.created_at) }
      : undefined;
  }

  /** The status and application breakdowns of some runs (primary key prefix: one probe per run). */
  async breakdowns(runIds: readonly number[], dimensions: readonly BreakdownDimension[]): Promise<BreakdownEntry[]> {
    if (runIds.length === 0 || dimensions.length === 0) return [];
    const rows = await queryRows<{ job_log_id: number; source: string; dimension: BreakdownDimension; key: string; count: number }>(
      this.db,
      sql`
      select job_log_id, source, dimension, key, count from count_breakdowns
      where job_log_id in (${sql.join(
        runIds.map((id) => sql`${id}`),
        sql`, `,
      )}) and dimension in (${sql.join(
        dimensions.map((dimension) => sql`${dimension}`),
        sql`, `,
      )})`,
    );
    return rows.map((row) => ({ runId: row.job_log_id, source: row.source, dimension: row.dimension, key: row.key, count: Number(row.count) }));
  }

  /** The client's anomalies of business dates from `from` to `to`, newest first. */
  async anomalies(client: string, from: string, to: string, limit: number): Promise<ListedAnomaly[]> {
    const rows = await queryRows<{
      id: number;
      job_log_id: number;
      run_name: string;
      client: string;
      business_date: string;
      kind: AnomalyRow['kind'];
      subject: string;
      value: number;
      median: number;
      low: number;
      high: number;
      history: number;
      message: string;
      created_at: string | Date;
    }>(
      this.db,
      sql`
      select a.id, a.job_log_id, j.name as run_name, a.client, a.business_date::text as business_date, a.kind, a.subject, a.value, a.median, a.low, a.high, a.history, a.message, a.created_at
      from anomalies a join job_logs j on j.id = a.job_log_id
      where a.client = ${client} and a.business_date between ${from}::date and ${to}::date
      order by a.business_date desc, a.created_at desc, a.id desc
      limit ${limit}`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      jobLogId: row.job_log_id,
      runName: row.run_name,
      client: row.client,
      businessDate: row.business_date,
      kind: row.kind,
      subject: row.subject,
      value: row.value,
      median: row.median,
      low: row.low,
      high: row.high,
      history: row.history,
      message: row.message,
      createdAt: new Date(row.created_at),
    }));
  }
}
