import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepStuckRuns } from '../../src/flow/sweeper.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { aggregateJobId, QUEUE_NAMES } from '../../src/queues/names.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { waitFor } from '../support/wait.js';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(async () => {
  await harness.close();
});

function sweep(now: Date) {
  return sweepStuckRuns({
    runs: harness.runs,
    writer: harness.writer,
    aggregateQueue: harness.queueSet.queues[QUEUE_NAMES.aggregate],
    logger: harness.logger,
    stuckAfterMs: 60_000,
    now: () => now,
  });
}

describe('stuck-run sweeper', () => {
  it('marks a run whose queue jobs were lost as error, and leaves fresh and finished runs alone', async () => {
    const lost = await harness.producer.enqueueRun({ trigger: 'manual' });
    const fresh = await harness.producer.enqueueRun({ trigger: 'manual' });
    await harness.queueSet.queues[QUEUE_NAMES.aggregate].remove(aggregateJobId(lost.name), { removeChildren: true });

    const later = new Date(Date.now() + 120_000);
    await harness.database.db.execute(sql`update job_logs set updated_at = now() - interval '10 minutes' where name = ${lost.name}`);
    const swept = await sweep(new Date());
    expect(swept).toEqual([lost.name]);
    const detail = await harness.runs.getDetail(lost.name);
    expect(detail?.run.status).toBe(RUN_STATUS.error);
    expect(detail?.run.message).toMatch(/queue jobs are gone/);

    // Past the deadline even a queued run is abandoned, with a different reason.
    const swept2 = await sweep(later);
    expect(swept2).toEqual([fresh.name]);
    expect((await harness.runs.findByName(fresh.name))?.message).toMatch(/made no progress for 1 min 0 s \(queue state: waiting-children\)/);
    expect(await sweep(later)).toEqual([]);
  });

  it('a swept run that a worker later processes stays error, stores no total, and keeps its sources’ counts', async () => {
    const run = await harness.producer.enqueueRun({ trigger: 'manual' });
    await sweep(new Date(Date.now() + 120_000));
    harness.startWorkers([scriptedSource('SPA', [1]), scriptedSource('UPCTM', [2])]);
    expect((await waitForRunFinished(harness.runs, run.name, { timeoutMs: 10_000, intervalMs: 20 })).status).toBe(RUN_STATUS.error);
    const aggregateQueue = harness.queueSet.queues[QUEUE_NAMES.aggregate];
    const state = await waitFor('the aggregate job to finish', async () => {
      const current = await (await aggregateQueue.getJob(aggregateJobId(run.name)))?.getState();
      return current === 'completed' || current === 'failed' ? current : undefined;
    });
    expect(state).toBe('completed');
    const detail = await harness.runs.getDetail(run.name);
    expect(detail?.total).toBeUndefined();
    expect(detail?.run.status).toBe(RUN_STATUS.error);
    expect(detail?.counts.map((row) => [row.source, row.count])).toEqual([
      ['SPA', 1],
      ['UPCTM', 2],
    ]);
  });
});
