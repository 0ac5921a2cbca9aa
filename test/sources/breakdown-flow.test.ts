import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createHarness, type Harness } from '../support/harness.js';
import { ControlmSimulator, simulatedJobs } from '../support/sim-controlm.js';
import { scriptedSource } from '../support/sources.js';
import { SECRET_ENV, sourceFromConfig } from './support.js';

let harness: Harness;
let simulator: ControlmSimulator;

beforeAll(async () => {
  const jobs = simulatedJobs(10_000, 25);
  for (const [index, job] of jobs.entries()) {
    if (index % 1000 === 1) job.held = true;
  }
  simulator = await ControlmSimulator.start({ apiKey: SECRET_ENV.CTM_KEY, jobs, maxRows: 7000 });
  harness = await createHarness();
  // The simulated API caps answers at 7,000 rows: the source splits the query by application.
  const partitions = [{ application: 'FIN' }, { application: 'HR' }, { application: 'FIN' }];
  harness.startWorkers([sourceFromConfig({ type: 'controlm', mode: 'jobs-status', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, partitions }), scriptedSource('UPCTM', [500])]);
});
afterAll(async () => {
  await harness.close();
  await simulator.close();
});

describe('Control-M breakdowns', () => {
  it('stores where 10,000 jobs went in the breakdown table, folders excluded, from overlapping partitions', async () => {
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 20_000, intervalMs: 20 });
    expect(run.status).toBe(RUN_STATUS.success);
    const rows = await harness.runs.breakdownsOf(run.id);
    const byDimension = (dimension: string) => Object.fromEntries(rows.filter((row) => row.source === 'SPA' && row.dimension === dimension).map((row) => [row.key, row.count]));
    expect(byDimension('status')).toEqual({ 'Ended OK': 5001, 'Ended Not OK': 1667, Executing: 1666, 'Wait Condition': 1666 });
    expect(byDimension('application')).toEqual({ FIN: 6666, HR: 3334 });
    expect(byDimension('sub_application')).toEqual({ 'FIN/FIN-batch': 6666, 'HR/HR-batch': 3334 });
    expect(byDimension('flag')).toEqual({ held: 10 });
    expect(rows.filter((row) => row.source === 'UPCTM')).toEqual([]);
    expect((await harness.runs.getDetail(run.name))?.total?.total).toBe(10_500);
  });

  it('stores a source’s breakdown once: a second store for the run keeps the first', async () => {
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 20_000, intervalMs: 20 });
    const before = await harness.runs.breakdownsOf(run.id);
    await harness.writer.recordSourceCounts(run.id, [{ source: 'SPA', count: 2, breakdown: { byStatus: { 'Ended OK': 2 } }, durationMs: 1, line: 'again' }]);
    expect(await harness.runs.breakdownsOf(run.id)).toEqual(before);
  });
});
