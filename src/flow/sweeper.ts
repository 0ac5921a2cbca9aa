import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { formatDuration } from '../format.js';
import type { RunsRepository } from '../persistence/runs-repository.js';
import type { RunWriter } from '../persistence/writer.js';
import { aggregateJobId } from '../queues/names.js';
import { startPeriodic } from '../lifecycle/periodic.js';

export interface SweepDeps {
  runs: RunsRepository;
  writer: RunWriter;
  aggregateQueue: Queue;
  logger: Logger;
  /** A run not touched for this long while pending/processing is stuck. */
  stuckAfterMs: number;
  now?: () => Date;
}

/**
 * Finds runs that can no longer finish on their own (their BullMQ jobs were lost, e.g. Redis was
 * flushed, or nothing processed them before the deadline) and marks them error with the reason,
 * so no run stays pending or processing forever. Safe to run from several processes at once.
 */
export async function sweepStuckRuns(deps: SweepDeps): Promise<string[]> {
  const now = deps.now?.() ?? new Date();
  const stuck = await deps.runs.findUnfinishedBefore(new Date(now.getTime() - deps.stuckAfterMs));
  const swept: string[] = [];
  for (const run of stuck) {
    const job = await deps.aggregateQueue.getJob(aggregateJobId(run.name));
    const state = job ? await job.getState() : 'missing';
    const reason =
      state === 'missing' || state === 'unknown'
        ? `its queue jobs are gone (Redis was flushed or the jobs were removed); retry the run`
        : `it made no progress for ${formatDuration(deps.stuckAfterMs)} (queue state: ${state}); check that workers are running, then retry the run`;
    const message = `Run abandoned: ${reason}`;
    const outcome = await deps.writer.failRun(run.id, message, [{ level: 'error', message }]);
    if (outcome === 'finished') {
      swept.push(run.name);
      deps.logger.warn({ run: run.name, state }, 'stuck run marked error');
    }
  }
  return swept;
}

/** Runs the sweep every `intervalMs` until stopped. */
export function startSweeper(deps: SweepDeps, intervalMs: number): { stop(): void } {
  return startPeriodic(() => sweepStuckRuns(deps), intervalMs, deps.logger, 'stuck-run sweep');
}
