import { clientNamed } from '../config/clients.js';
import type { Config } from '../config/load.js';
import { errorMessage, InputError } from '../errors.js';
import { addDays, daysBetween } from '../insight/calendar.js';
import type { RunsRepository } from '../persistence/runs-repository.js';
import { RUN_STATUS } from '../persistence/schema.js';
import { businessDateOf } from '../runs/names.js';
import { countsPastDates } from '../sources/business-dates.js';
import type { EnqueuedRun, RunProducer } from './producer.js';
import { waitForRunFinished } from './wait.js';

/**
 * `jobtally backfill`: one complete run per missing business date of a client, each under the
 * idempotency key `backfill:<client>:<date>`, so a backfill started twice (or again after a crash)
 * queues each date once. Dates with a figure are skipped unless forced.
 */

export const MAX_BACKFILL_DAYS = 366;

export interface BackfillRequest {
  client: string;
  from: string;
  to: string;
  /** Count dates that already have a figure again (a new run each time). */
  force: boolean;
  /** How long to wait for each date's run. */
  timeoutMs: number;
}

export type BackfillEvent =
  | { date: string; outcome: 'skipped'; reason: string }
  | { date: string; outcome: 'queued'; run: string; again: boolean }
  | { date: string; outcome: 'filled'; run: string; total: number | null }
  | { date: string; outcome: 'failed'; run: string | null; reason: string };

export interface BackfillSummary {
  client: string;
  from: string;
  to: string;
  dates: number;
  filled: number;
  skipped: number;
  failed: number;
}

export interface BackfillDeps {
  config: Pick<Config, 'clients' | 'clientsDeclared' | 'timezone' | 'newDayTime' | 'sources'>;
  producer: Pick<RunProducer, 'enqueueRun' | 'retryRun'>;
  runs: RunsRepository;
  now?: () => Date;
}

/** Checks the request before anything is queued; every problem is an InputError (exit 2). */
export function checkBackfill(deps: Pick<BackfillDeps, 'config' | 'now'>, request: Pick<BackfillRequest, 'client' | 'from' | 'to'>): string[] {
  const client = clientNamed(deps.config, request.client);
  if (!client) throw new InputError(`unknown client ${request.client}`, [{ path: '--client', message: `configured clients are ${deps.config.clients.map((known) => known.name).join(', ')}` }]);
  const today = businessDateOf(deps.now?.() ?? new Date(), deps.config.timezone, deps.config.newDayTime);
  if (request.from > request.to) throw new InputError(`--from ${request.from} is after --to ${request.to}`);
  if (request.to > today) throw new InputError(`--to ${request.to} is in the future: the current business date is ${today}`);
  if (daysBetween(request.from, request.to) >= MAX_BACKFILL_DAYS) throw new InputError(`at most ${MAX_BACKFILL_DAYS} dates at a time`, [{ path: '--from', message: 'split the range' }]);
  // The producer's own rule: the same sources would be refused for each past date.
  const configOf = (name: string) => deps.config.sources.find((source) => source.name === name);
  const unable = client.sources.filter((name) => {
    const source = configOf(name);
    return source === undefined || !countsPastDates(source);
  });
  if (unable.length > 0) {
    throw new InputError(`client ${client.name} cannot be backfilled: ${unable.map((name) => `source ${name} (${configOf(name)?.type ?? 'not configured'})`).join(', ')} cannot count a past business date`, [
      { path: '--client', message: `only clients whose sources can all count past dates can be backfilled; ${unable.join(', ')} only ever count the current date` },
    ]);
  }
  return client.sources;
}

export async function backfill(deps: BackfillDeps, request: BackfillRequest, onEvent: (event: BackfillEvent) => void): Promise<BackfillSummary> {
  checkBackfill(deps, request);
  const figures = new Set((await deps.runs.dailyTotals({ client: request.client, since: request.from, until: request.to })).map((row) => row.businessDate));
  const dates: string[] = [];
  for (let date = request.from; date <= request.to; date = addDays(date, 1)) dates.push(date);
  const summary: BackfillSummary = { client: request.client, from: request.from, to: request.to, dates: dates.length, filled: 0, skipped: 0, failed: 0 };
  const queued: { date: string; run: EnqueuedRun }[] = [];
  for (const date of dates) {
    if (figures.has(date) && !request.force) {
      summary.skipped++;
      onEvent({ date, outcome: 'skipped', reason: 'has a figure' });
      continue;
    }
    try {
      const run = await queueDate(deps, request, date);
      queued.push({ date, run });
      onEvent({ date, outcome: 'queued', run: run.name, again: !run.created });
    } catch (error) {
      summary.failed++;
      onEvent({ date, outcome: 'failed', run: null, reason: errorMessage(error) });
    }
  }
  for (const { date, run } of queued) {
    try {
      const finished = await waitForRunFinished(deps.runs, run.name, { timeoutMs: request.timeoutMs, intervalMs: 100 });
      if (finished.status === RUN_STATUS.success) {
        summary.filled++;
        const [figure] = await deps.runs.dailyTotals({ client: request.client, since: date, until: date });
        onEvent({ date, outcome: 'filled', run: run.name, total: figure?.total ?? null });
      } else {
        summary.failed++;
        onEvent({ date, outcome: 'failed', run: run.name, reason: finished.message ?? 'failed' });
      }
    } catch (error) {
      summary.failed++;
      onEvent({ date, outcome: 'failed', run: run.name, reason: errorMessage(error) });
    }
  }
  return summary;
}

/**
 * The date's backfill run: its key finds the run a backfill queued before, which is counted
 * again as a retry if it failed. Forced dates get a run of their own.
 */
async function queueDate(deps: BackfillDeps, request: BackfillRequest, date: string): Promise<EnqueuedRun> {
  const key = `backfill:${request.client}:${date}`;
  const idempotencyKey = request.force ? `${key}:force:${(deps.now?.() ?? new Date()).toISOString()}` : key;
  const run = await deps.producer.enqueueRun({ trigger: 'manual', parameters: { client: request.client, date }, idempotencyKey });
  if (run.created) return run;
  const existing = await deps.runs.findByName(run.name);
  return existing?.status === RUN_STATUS.error ? deps.producer.retryRun(run.name, 'retry') : run;
}
