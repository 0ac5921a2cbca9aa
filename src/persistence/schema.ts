import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import type { AnomalyKind } from '../insight/anomaly.js';
import { LICENSE_METRIC, type MetricName, type MetricRule } from '../metrics/definitions.js';
import type { CountBreakdown } from '../sources/types.js';

export const RUN_STATUS = { pending: 0, processing: 1, error: 2, success: 3 } as const;
export type RunStatusName = keyof typeof RUN_STATUS;
export type RunStatusCode = (typeof RUN_STATUS)[RunStatusName];
export const RUN_STATUS_NAMES = Object.keys(RUN_STATUS) as RunStatusName[];

export const RUN_TRIGGERS = ['schedule', 'manual', 'retry', 'api'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const DETAIL_LEVELS = ['info', 'warn', 'error'] as const;
export type DetailLevel = (typeof DETAIL_LEVELS)[number];

const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow();

export const jobLogs = pgTable(
  'job_logs',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    name: varchar('name', { length: 32 }).notNull(),
    job: text('job').notNull().default('license-count'),
    client: text('client').notNull().default('default'),
    parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull().default({}),
    status: smallint('status').$type<RunStatusCode>().notNull().default(RUN_STATUS.pending),
    trigger: text('trigger').$type<RunTrigger>().notNull().default('manual'),
    message: text('message'),
    retryCount: integer('retry_count').notNull().default(0),
    retriedFrom: varchar('retried_from', { length: 32 }),
    /** Makes enqueueing idempotent: the same key (a scheduler tick, an API request) is one run. */
    idempotencyKey: text('idempotency_key'),
    businessDate: date('business_date', { mode: 'string' }).notNull(),
    /** The sources this run counts, fixed when it is queued (null: queued before runs carried their scope; see parameters). */
    scopeSources: text('scope_sources').array(),
    /** The limit its total is checked against, fixed when it is queued. */
    scopeLimit: bigint('scope_limit', { mode: 'number' }),
    /** Whether it counts every source of its client: only a complete run's total can be a figure. */
    complete: boolean('complete').notNull().default(true),
    /**
     * The total it counted when that total is not a figure: a partial scope, or over its limit (a
     * breach). A figure lives in totals.
     */
    countedTotal: bigint('counted_total', { mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date', precision: 3 }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (table) => [
    uniqueIndex('job_logs_name_key').on(table.name),
    // Partial: most runs have no key, and a full index would take an entry for each of their row versions.
    uniqueIndex('job_logs_idempotency_key_key').on(table.idempotencyKey).where(sql`${table.idempotencyKey} is not null`),
    index('job_logs_status_created_at_idx').on(table.status, table.createdAt, table.id),
    index('job_logs_created_at_idx').on(table.createdAt, table.id),
    index('job_logs_client_created_at_idx').on(table.client, table.createdAt, table.id),
    // Completeness and breaches read a client's runs by business date (backfills are created long after theirs).
    index('job_logs_client_business_date_idx').on(table.client, table.businessDate),
    index('job_logs_retried_from_idx').on(table.retriedFrom).where(sql`${table.retriedFrom} is not null`),
    check('job_logs_name_format', sql`${table.name} ~ '^[0-9]{14}(_[0-9]+)?$'`),
    check('job_logs_status_range', sql`${table.status} between 0 and 3`),
    check('job_logs_trigger_values', sql`${table.trigger} in ('schedule', 'manual', 'retry', 'api')`),
  ],
);

export const jobLogDetails = pgTable(
  'job_log_details',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    level: text('level').$type<DetailLevel>().notNull().default('info'),
    source: text('source'),
    message: text('message').notNull(),
    // clock_timestamp, not now(): lines written in one transaction must keep their order.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().default(sql`clock_timestamp()`),
  },
  (table) => [index('job_log_details_job_log_id_created_at_idx').on(table.jobLogId, table.createdAt)],
);

export const sourceCounts = pgTable(
  'source_counts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    breakdown: jsonb('breakdown').$type<CountBreakdown>(),
    fetchedAt: timestamp('fetched_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    durationMs: integer('duration_ms').notNull(),
  },
  (table) => [uniqueIndex('source_counts_run_source_key').on(table.jobLogId, table.source), check('source_counts_count_nonnegative', sql`${table.count} >= 0`)],
);

export const BREAKDOWN_DIMENSIONS = ['status', 'application', 'sub_application', 'flag'] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

/** Where a source's count went (Control-M jobs-status): one row per run, source, dimension and key. */
export const countBreakdowns = pgTable(
  'count_breakdowns',
  {
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    dimension: text('dimension').$type<BreakdownDimension>().notNull(),
    key: text('key').notNull(),
    count: integer('count').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.jobLogId, table.source, table.dimension, table.key] }),
    index('count_breakdowns_dimension_key_idx').on(table.dimension, table.key, table.jobLogId),
    check('count_breakdowns_dimension_values', sql`${table.dimension} in ('status', 'application', 'sub_application', 'flag')`),
    check('count_breakdowns_count_nonnegative', sql`${table.count} >= 0`),
  ],
);

/**
 * Run metrics: a row per source and metric as each source is counted (`source` set), and a row per
 * metric for the run once it succeeded (`source` null, with the rule that joined the sources),
 * except the metrics other rows already hold (`DERIVED_SOURCE_METRICS`, `DERIVED_RUN_METRICS`).
 */
export const runMetrics = pgTable(
  'run_metrics',
  {
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    source: text('source'),
    metric: text('metric').$type<MetricName>().notNull(),
    rule: text('rule').$type<MetricRule>(),
    value: doublePrecision('value').notNull(),
  },
  (table) => [
    unique('run_metrics_run_source_metric_key').on(table.jobLogId, table.source, table.metric).nullsNotDistinct(),
    index('run_metrics_metric_run_idx').on(table.metric, table.jobLogId).where(sql`${table.source} is null`),
    check('run_metrics_value_nonnegative', sql`${table.value} >= 0`),
    check('run_metrics_rule_values', sql`${table.rule} in ('sum', 'min', 'max', 'last')`),
    check('run_metrics_rule_on_run_rows', sql`(${table.source} is null) = (${table.rule} is not null)`),
  ],
);

/**
 * Metrics that get no run_metrics row, because the run's other rows hold them: a source's job
 * executions and fetch time are its source_counts row's `count` and `duration_ms`, and a run's job
 * executions (its rule is fixed) are its total: five of the six metric rows of a run with two plain
 * sources. Reads put them back (RunsRepository.detailOf). Rows stored before, and archives made
 * then, keep theirs, and reads prefer them.
 */
export const DERIVED_SOURCE_METRIC_COLUMNS = { job_executions: 'count', fetch_duration_ms: 'duration_ms' } as const satisfies Partial<Record<MetricName, string>>;
export const DERIVED_SOURCE_METRICS = Object.keys(DERIVED_SOURCE_METRIC_COLUMNS) as readonly MetricName[];
export const DERIVED_RUN_METRIC = LICENSE_METRIC;

export const totals = pgTable(
  'totals',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    client: text('client').notNull(),
    businessDate: date('business_date', { mode: 'string' }).notNull(),
    total: bigint('total', { mode: 'number' }).notNull(),
    limit: bigint('limit', { mode: 'number' }).notNull(),
    counts: jsonb('counts').$type<Record<string, number>>().notNull(),
    /** The run's name, copied (names never change) so the daily series reads only the index below. */
    runName: varchar('run_name', { length: 32 }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('totals_job_log_id_key').on(table.jobLogId),
    // A client's totals by date and time: the anomaly read, the day curves and, when a total is
    // deleted, finding its date's figure again.
    index('totals_client_business_date_idx').on(table.client, table.businessDate, table.createdAt, table.total, table.limit, table.runName),
    check('totals_within_limit', sql`${table.total} >= 0 and ${table.total} <= ${table.limit}`),
  ],
);

/**
 * Counts (or ratios of two sources' counts) of a successful run far outside the recent history of
 * its client at the same hour of day. Written only when found; at most one row per run and subject.
 */
export const anomalies = pgTable(
  'anomalies',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    jobLogId: integer('job_log_id')
      .notNull()
      .references(() => jobLogs.id, { onDelete: 'cascade' }),
    client: text('client').notNull(),
    businessDate: date('business_date', { mode: 'string' }).notNull(),
    kind: text('kind').$type<AnomalyKind>().notNull(),
    /** A source name for a count, `A/B` for a ratio. */
    subject: text('subject').notNull(),
    value: doublePrecision('value').notNull(),
    median: doublePrecision('median').notNull(),
    low: doublePrecision('low').notNull(),
    high: doublePrecision('high').notNull(),
    /** History runs the band was built from. */
    history: integer('history').notNull(),
    /** The plain-words explanation, as in the run log. */
    message: text('message').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('anomalies_run_subject_key').on(table.jobLogId, table.kind, table.subject),
    index('anomalies_client_business_date_idx').on(table.client, table.businessDate, table.createdAt, table.id),
    check('anomalies_kind_values', sql`${table.kind} in ('count', 'ratio')`),
  ],
);

/**
 * Each business date's figure per client: its latest successful complete total (by created_at,
 * then run id). There is no figure over all clients: each client's stands on its own. Triggers on totals keep it exact inside every write,
 * so a year of daily figures is one range of this small table instead of a probe per day.
 */
export const dailyFigures = pgTable(
  'daily_figures',
  {
    client: text('client').notNull(),
    businessDate: date('business_date', { mode: 'string' }).notNull(),
    jobLogId: integer('job_log_id').notNull(),
    runName: varchar('run_name', { length: 32 }).notNull(),
    total: bigint('total', { mode: 'number' }).notNull(),
    limit: bigint('limit', { mode: 'number' }).notNull(),
    counts: jsonb('counts').$type<Record<string, number>>().notNull(),
    /** The total's created_at. */
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.client, table.businessDate] }), index('daily_figures_business_date_idx').on(table.businessDate)],
);

/** Next free `_N` suffix per creation second: one atomic upsert instead of probing names. */
export const runNameCounters = pgTable('run_name_counters', {
  base: varchar('base', { length: 14 }).primaryKey(),
  next: integer('next').notNull().default(0),
});

/**
 * Runs per (client, status), maintained by a trigger on job_logs so dashboard counts are O(1).
 * Each database backend adds its changes to its own shard row, so concurrent writers never wait
 * on each other's counter row; a count is the sum over shards (a single shard may be negative).
 */
export const runStatusCounts = pgTable(
  'run_status_counts',
  {
    client: text('client').notNull(),
    status: smallint('status').$type<RunStatusCode>().notNull(),
    shard: smallint('shard').notNull().default(0),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.client, table.status, table.shard] })],
);

/** Who did what from the web: retries and on-demand runs. Append-only. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    role: text('role').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    address: text('address'),
    outcome: text('outcome').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [index('audit_log_at_idx').on(table.at, table.id)],
);

export const schema = { jobLogs, jobLogDetails, sourceCounts, countBreakdowns, runMetrics, totals, dailyFigures, anomalies, runNameCounters, runStatusCounts, auditLog };
export type JobLog = typeof jobLogs.$inferSelect;
export type JobLogDetail = typeof jobLogDetails.$inferSelect;
export type SourceCount = typeof sourceCounts.$inferSelect;
export type Total = typeof totals.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type CountBreakdownRow = typeof countBreakdowns.$inferSelect;
export type RunMetricRow = typeof runMetrics.$inferSelect;
export type AnomalyRow = typeof anomalies.$inferSelect;
