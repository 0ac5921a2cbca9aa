import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { queryRows, type Database } from '../../src/persistence/db.js';
import { schema, type BreakdownDimension } from '../../src/persistence/schema.js';
import { runNameBase } from '../../src/runs/names.js';

export interface SeededRun {
  client?: string;
  businessDate: string;
  /** When it was counted: created, finished and stored at this instant. */
  at: Date;
  counts: Record<string, number>;
  limit?: number;
  breakdowns?: { source: string; dimension: BreakdownDimension; key: string; count: number }[];
  /** Per-source run metrics (ordered, executions, ...). */
  metrics?: { source: string; metric: string; value: number }[];
}

let sequence = 0;

/**
 * A fixed-offset zone where it is about noon at `at`, so a test of "today so far" has a morning
 * of counts behind it and no midnight ahead, whenever the suite runs.
 */
export function zoneAtNoon(at: Date = new Date()): string {
  const offset = 12 - at.getUTCHours();
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/**
 * Stores finished successful runs as the flow would have (run row, per-source counts, total,
 * breakdowns) but at chosen instants, so a test can lay down weeks of history at once.
 */
export async function seedSuccessfulRuns(db: Database, runs: readonly SeededRun[]): Promise<{ id: number; name: string }[]> {
  const created: { id: number; name: string }[] = [];
  for (const run of runs) {
    const name = `${runNameBase(run.at)}_${++sequence}`;
    const total = Object.values(run.counts).reduce((sum, count) => sum + count, 0);
    const at = run.at.toISOString();
    const [row] = await queryRows<{ id: number }>(
      db,
      sql`
      with job as (
        insert into job_logs (name, client, status, trigger, message, business_date, created_at, updated_at, started_at, finished_at)
        values (${name}, ${run.client ?? 'default'}, 3, 'schedule', 'seeded', ${run.businessDate}::date, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)
        returning id, name
      ), counts as (
        insert into source_counts (job_log_id, source, count, duration_ms, fetched_at)
        select job.id, c.key, c.value::bigint, 1, ${at}::timestamptz from job, jsonb_each_text(${JSON.stringify(run.counts)}::jsonb) c
      ), total as (
        insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
        select id, ${run.client ?? 'default'}, ${run.businessDate}::date, ${total}, ${run.limit ?? 48_500}, ${JSON.stringify(run.counts)}::jsonb, ${at}::timestamptz, name from job
      ), breakdowns as (
        insert into count_breakdowns (job_log_id, source, dimension, key, count)
        select job.id, b.source, b.dimension, b.key, b.count from job, jsonb_to_recordset(${JSON.stringify(run.breakdowns ?? [])}::jsonb) as b(source text, dimension text, key text, count int)
      ), metrics as (
        insert into run_metrics (job_log_id, source, metric, value)
        select job.id, m.source, m.metric, m.value from job, jsonb_to_recordset(${JSON.stringify(run.metrics ?? [])}::jsonb) as m(source text, metric text, value float8)
      )
      select id from job`,
    );
    if (!row) throw new Error(`could not seed run ${name}`);
    created.push({ id: row.id, name });
  }
  return created;
}

export interface RecordingDatabase {
  db: Database;
  /** Each statement's text, in the order sent (a test may empty it). */
  statements: string[];
  /** `EXPLAIN (ANALYZE, FORMAT JSON)` of the latest statement whose text includes `marker`, run again with its parameters. */
  explainAnalyzed(marker: string): Promise<PlanNode>;
  close(): Promise<void>;
}

/** A node of a JSON query plan, as far as tests read it. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/**
 * A drizzle database on its own connection that records every statement sent after the driver's
 * own connection setup (its type lookup), so a test can count what a piece of code asks, and see
 * how Postgres ran one of them.
 */
export async function recordingDatabase(url: string): Promise<RecordingDatabase> {
  const statements: string[] = [];
  const calls: { query: string; parameters: unknown[] }[] = [];
  const client = postgres(url, {
    max: 1,
    onnotice: () => undefined,
    debug: (_connection, query, parameters: unknown[]) => {
      statements.push(query);
      calls.push({ query, parameters });
    },
  });
  await client`select 1`;
  statements.length = 0;
  return {
    db: drizzle(client, { schema }) as unknown as Database,
    statements,
    async explainAnalyzed(marker) {
      const call = [...calls].reverse().find((recorded) => recorded.query.includes(marker));
      if (!call) throw new Error(`no statement with ${marker} was sent`);
      const [row] = await client.unsafe<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(`explain (analyze, format json) ${call.query}`, call.parameters as never[]);
      if (!row) throw new Error('EXPLAIN returned no plan');
      return row['QUERY PLAN'][0].Plan;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** Every node of `plan` (itself included) that reads `relation`. */
export function scansOf(plan: PlanNode, relation: string): PlanNode[] {
  const own = plan['Relation Name'] === relation ? [plan] : [];
  return [...own, ...(plan.Plans ?? []).flatMap((child) => scansOf(child, relation))];
}

export const DAY_MS = 86_400_000;
