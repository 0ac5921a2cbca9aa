import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { InputError } from '../errors.js';
import { queryRows, type Database } from '../persistence/db.js';
import { RUN_STATUS } from '../persistence/schema.js';

/** One archived run with everything that hangs off it: one NDJSON line. */
export interface ArchivedRun {
  run: Record<string, unknown>;
  details: Record<string, unknown>[];
  counts: Record<string, unknown>[];
  breakdowns: Record<string, unknown>[];
  /** Absent in archives written before run metrics existed. */
  metrics?: Record<string, unknown>[];
  totals: Record<string, unknown>[];
}

export interface PurgeOptions {
  olderThan: Date;
  archiveDir?: string | undefined;
  dryRun?: boolean;
  batchSize?: number;
  /** After each batch: runs archived so far, then runs deleted so far, of `total` candidates. */
  onProgress?: (progress: PurgeProgress) => void;
}

export interface PurgeProgress {
  phase: 'archiving' | 'deleting';
  done: number;
  total: number;
}

export interface PurgeResult {
  candidates: number;
  archived: number;
  deleted: number;
  archiveFile: string | undefined;
}

const FINISHED = sql`status in (${RUN_STATUS.error}, ${RUN_STATUS.success})`;

/**
 * Archives finished runs created before the cut-off to one gzipped NDJSON file, reads the file back
 * to check every run is in it, then deletes them in small batches (each its own short transaction,
 * so the dashboard and writers never wait long). Unfinished runs are never purged.
 */
export async function purgeRuns(db: Database, options: PurgeOptions): Promise<PurgeResult> {
  const batchSize = options.batchSize ?? 1000;
  const [counted] = await queryRows<{ count: number }>(db, sql`select count(*)::int as count from job_logs where created_at < ${options.olderThan.toISOString()}::timestamptz and ${FINISHED}`);
  const candidates = counted?.count ?? 0;
  if (options.dryRun || candidates === 0) return { candidates, archived: 0, deleted: 0, archiveFile: undefined };

  let archiveFile: string | undefined;
  const ids: number[] = [];
  if (options.archiveDir) {
    await mkdir(options.archiveDir, { recursive: true });
    archiveFile = path.join(options.archiveDir, `jobtally-runs-before-${options.olderThan.toISOString().slice(0, 10)}-${Date.now()}.ndjson.gz`);
    const partial = `${archiveFile}.partial`;
    await writeArchive(db, options.olderThan, batchSize, partial, ids, (done) => options.onProgress?.({ phase: 'archiving', done, total: candidates }));
    const check = await verifyArchive(partial);
    if (check.count !== ids.length || check.idSum !== ids.reduce((sum, id) => sum + id, 0)) {
      await rm(partial, { force: true });
      throw new Error(`archive check failed: wrote ${ids.length} runs, read back ${check.count}; nothing was deleted`);
    }
    await rename(partial, archiveFile);
  } else {
    for await (const batch of finishedRunIdBatches(db, options.olderThan, batchSize)) ids.push(...batch);
  }

  let deleted = 0;
  for (let start = 0; start < ids.length; start += batchSize) {
    const batch = ids.slice(start, start + batchSize);
    const rows = await queryRows<{ id: number }>(db, sql`delete from job_logs where id in (${sql.join(batch.map((id) => sql`${id}`), sql`, `)}) and ${FINISHED} returning id`);
    deleted += rows.length;
    options.onProgress?.({ phase: 'deleting', done: deleted, total: candidates });
  }
  return { candidates, archived: archiveFile ? ids.length : 0, deleted, archiveFile };
}

async function* finishedRunIdBatches(db: Database, olderThan: Date, batchSize: number): AsyncGenerator<number[]> {
  let after = 0;
  for (;;) {
    const rows = await queryRows<{ id: number }>(db, sql`select id from job_logs where created_at < ${olderThan.toISOString()}::timestamptz and ${FINISHED} and id > ${after} order by id limit ${batchSize}`);
    if (rows.length === 0) return;
    after = rows.at(-1)?.id ?? after;
    yield rows.map((row) => row.id);
  }
}

async function writeArchive(db: Database, olderThan: Date, batchSize: number, file: string, ids: number[], progress: (done: number) => void): Promise<void> {
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  for await (const batch of finishedRunIdBatches(db, olderThan, batchSize)) {
    for (const entry of await loadRuns(db, batch)) {
      if (!gzip.write(`${JSON.stringify(entry)}\n`)) await once(gzip, 'drain');
    }
    ids.push(...batch);
    progress(ids.length);
  }
  gzip.end();
  await done;
}

/** One query per table per batch, grouped by run in SQL. */
async function loadRuns(db: Database, ids: number[]): Promise<ArchivedRun[]> {
  const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
  return queryRows<ArchivedRun>(
    db,
    sql`select to_jsonb(j) as run,
      coalesce((select jsonb_agg(to_jsonb(d) - 'id' - 'job_log_id' order by d.id) from job_log_details d where d.job_log_id = j.id), '[]') as details,
      coalesce((select jsonb_agg(to_jsonb(c) - 'id' - 'job_log_id') from source_counts c where c.job_log_id = j.id), '[]') as counts,
      coalesce((select jsonb_agg(to_jsonb(b) - 'job_log_id') from count_breakdowns b where b.job_log_id = j.id), '[]') as breakdowns,
      coalesce((select jsonb_agg(to_jsonb(m) - 'job_log_id') from run_metrics m where m.job_log_id = j.id), '[]') as metrics,
      coalesce((select jsonb_agg(to_jsonb(t) - 'id' - 'job_log_id') from totals t where t.job_log_id = j.id), '[]') as totals
    from job_logs j where j.id in (${list}) order by j.id`,
  );
}

/** Lines of a gzipped NDJSON file; a missing or corrupt file rejects instead of hanging. */
async function* readArchive(file: string): AsyncGenerator<ArchivedRun> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  let pending = '';
  for await (const chunk of input.pipe(gunzip)) {
    const lines = (pending + (chunk as Buffer).toString('utf8')).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) yield JSON.parse(line) as ArchivedRun;
  }
  if (pending.trim()) yield JSON.parse(pending) as ArchivedRun;
}

async function verifyArchive(file: string): Promise<{ count: number; idSum: number }> {
  let count = 0;
  let idSum = 0;
  for await (const entry of readArchive(file)) {
    count++;
    idSum += Number(entry.run.id);
  }
  return { count, idSum };
}

export interface RestoreResult {
  restored: number;
  skipped: number;
}

/** Loads an archive back. Runs whose name already exists are skipped, so a restore can be repeated. */
export async function restoreArchive(db: Database, file: string, batchSize = 500): Promise<RestoreResult> {
  let restored = 0;
  let skipped = 0;
  let batch: ArchivedRun[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = await queryRows<{ restored: number }>(db, restoreStatement(batch));
    restored += rows[0]?.restored ?? 0;
    skipped += batch.length - (rows[0]?.restored ?? 0);
    batch = [];
  };
  try {
    for await (const entry of readArchive(file)) {
      batch.push(entry);
      if (batch.length >= batchSize) await flush();
    }
  } catch (error) {
    throw new InputError(`cannot read archive ${file}: ${error instanceof Error ? error.message : String(error)}`, [], { hint: 'pass a .ndjson.gz file written by `jobtally purge --archive-dir`', cause: error });
  }
  await flush();
  return { restored, skipped };
}

/** One statement per batch: new ids for the runs, children re-pointed through the run name. */
function restoreStatement(batch: ArchivedRun[]) {
  const payload = JSON.stringify(batch);
  return sql`
    with input as (select value as entry from jsonb_array_elements(${payload}::jsonb)),
    runs as (
      insert into job_logs (name, job, client, parameters, status, trigger, message, retry_count, retried_from, idempotency_key, business_date, created_at, updated_at, started_at, finished_at)
      select r.name, r.job, r.client, r.parameters, r.status, r.trigger, r.message, r.retry_count, r.retried_from, r.idempotency_key, r.business_date, r.created_at, r.updated_at, r.started_at, r.finished_at
      from input, jsonb_populate_record(null::job_logs, entry->'run') r
      on conflict (name) do nothing
      returning id, name
    ),
    matched as (select runs.id, runs.name, input.entry from runs join input on input.entry->'run'->>'name' = runs.name),
    details as (
      insert into job_log_details (job_log_id, level, source, message, created_at)
      select matched.id, d.level, d.source, d.message, d.created_at from matched, jsonb_populate_recordset(null::job_log_details, matched.entry->'details') d
    ),
    counts as (
      insert into source_counts (job_log_id, source, count, breakdown, fetched_at, duration_ms)
      select matched.id, c.source, c.count, c.breakdown, c.fetched_at, c.duration_ms from matched, jsonb_populate_recordset(null::source_counts, matched.entry->'counts') c
    ),
    breakdowns as (
      insert into count_breakdowns (job_log_id, source, dimension, key, count)
      select matched.id, b.source, b.dimension, b.key, b.count from matched, jsonb_populate_recordset(null::count_breakdowns, matched.entry->'breakdowns') b
    ),
    metrics as (
      insert into run_metrics (job_log_id, source, metric, rule, value)
      select matched.id, m.source, m.metric, m.rule, m.value from matched, jsonb_populate_recordset(null::run_metrics, coalesce(matched.entry->'metrics', '[]')) m
    ),
    restored_totals as (
      insert into totals (job_log_id, client, business_date, total, "limit", counts, created_at, run_name)
      select matched.id, t.client, t.business_date, t.total, t."limit", t.counts, t.created_at, matched.name from matched, jsonb_populate_recordset(null::totals, matched.entry->'totals') t
    )
    select count(*)::int as restored from runs`;
}
