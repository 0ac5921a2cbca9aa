import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DERIVED_RUN_METRIC, DERIVED_SOURCE_METRICS, RUN_STATUS, runMetrics } from '../../src/persistence/schema.js';
import { createHarness, runOnce, type Harness } from '../support/harness.js';
import { ControlmSimulator, simulatedJobs } from '../support/sim-controlm.js';
import { scriptedSource, type ScriptedSource } from '../support/sources.js';
import { SECRET_ENV, sourceFromConfig } from '../sources/support.js';

let harness: Harness;
let simulator: ControlmSimulator;
let upctm: ScriptedSource;

beforeAll(async () => {
  // 120 jobs: 20 ended not OK, 20 waiting on a condition; 4 folder rows that are not jobs.
  simulator = await ControlmSimulator.start({ apiKey: SECRET_ENV.CTM_KEY, jobs: simulatedJobs(120, 4) });
  harness = await createHarness({ limit: 1000, metrics: { rules: { failed: 'max', fetch_duration_ms: 'last' } } });
  upctm = scriptedSource('UPCTM', [500]);
  harness.startWorkers([sourceFromConfig({ type: 'controlm', mode: 'jobs-status', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } } }), upctm]);
});
afterAll(async () => {
  await harness.close();
  await simulator.close();
});

type Row = [string | null, string, string | null, number];

/** The metrics these tests follow; jobs-status stores more (ordered, executions, ...), tested with the source. */
const FOLLOWED = new Set(['failed', 'fetch_duration_ms', 'job_executions', 'ordered_not_running']);

function rowsOf(metrics: { source: string | null; metric: string; rule: string | null; value: number }[]): Row[] {
  return metrics.filter((row) => FOLLOWED.has(row.metric)).map((row) => [row.source, row.metric, row.rule, row.value]);
}

describe('run metrics through the flow', () => {
  it('stores each source’s metrics and the run’s, joined by the configured rules, in the run detail', async () => {
    upctm.script([async () => Promise.resolve({ count: 500, metrics: { failed: 3 } })]);
    const { run, total, metrics } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(total?.total).toBe(620);
    const spaTime = metrics.find((row) => row.source === 'SPA' && row.metric === 'fetch_duration_ms')?.value;
    const upctmTime = metrics.find((row) => row.source === 'UPCTM' && row.metric === 'fetch_duration_ms')?.value;
    expect(rowsOf(metrics)).toEqual([
      // The run: job executions always summed (the total), failed by max, fetch time of the last source.
      [null, 'failed', 'max', 20],
      [null, 'fetch_duration_ms', 'last', upctmTime],
      [null, 'job_executions', 'sum', 620],
      [null, 'ordered_not_running', 'sum', 20],
      ['SPA', 'failed', null, 20],
      ['SPA', 'fetch_duration_ms', null, spaTime],
      ['SPA', 'job_executions', null, 120],
      ['SPA', 'ordered_not_running', null, 20],
      // UPCTM cannot tell who waits: it reports no ordered_not_running, and none is made up.
      ['UPCTM', 'failed', null, 3],
      ['UPCTM', 'fetch_duration_ms', null, upctmTime],
      ['UPCTM', 'job_executions', null, 500],
    ]);
  });

  it('stores no rows for the metrics a source’s count and the run’s total hold, and reads rows stored before once', async () => {
    upctm.script([500]);
    const { run, metrics } = await runOnce(harness);
    const storedRows = async () =>
      rowsOf(
        await harness.database.db
          .select()
          .from(runMetrics)
          .where(eq(runMetrics.jobLogId, run.id))
          .orderBy(sql`${runMetrics.source} nulls first`, runMetrics.metric),
      );
    expect(await storedRows()).toEqual([
      [null, 'failed', 'max', 20],
      [null, 'fetch_duration_ms', 'last', metrics.find((row) => row.source === 'UPCTM' && row.metric === 'fetch_duration_ms')?.value],
      [null, 'ordered_not_running', 'sum', 20],
      ['SPA', 'failed', null, 20],
      ['SPA', 'ordered_not_running', null, 20],
    ]);
    // As an earlier jobtally stored them, a row for every metric: each is still read once.
    const derived = metrics.filter((row) => (row.source === null ? row.metric === DERIVED_RUN_METRIC : DERIVED_SOURCE_METRICS.includes(row.metric)));
    expect(derived).toHaveLength(5);
    await harness.database.db.insert(runMetrics).values(derived.map(({ source, metric, rule, value }) => ({ jobLogId: run.id, source, metric, rule, value })));
    expect((await harness.runs.getDetail(run.name))?.metrics).toEqual(metrics);
  });

  it('ignores a metric value a source got wrong without failing the count', async () => {
    upctm.script([async () => Promise.resolve({ count: 500, metrics: { failed: -2, ordered_not_running: 1.5 } })]);
    const { run, metrics } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(rowsOf(metrics.filter((row) => row.source === 'UPCTM' && row.metric !== 'fetch_duration_ms'))).toEqual([['UPCTM', 'job_executions', null, 500]]);
    expect(rowsOf(metrics.filter((row) => row.source === null && row.metric === 'failed'))).toEqual([[null, 'failed', 'max', 20]]);
  });

  it('keeps the sources’ metrics of a run over the limit, but stores no run metrics, like no total', async () => {
    upctm.script([900]);
    const { run, total, metrics } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.error);
    expect(total).toBeUndefined();
    expect(metrics.filter((row) => row.source === null)).toEqual([]);
    expect(rowsOf(metrics.filter((row) => row.metric === 'job_executions'))).toEqual([
      ['SPA', 'job_executions', null, 120],
      ['UPCTM', 'job_executions', null, 900],
    ]);
  });

  it('stores a source’s metrics once: a second store for the run keeps the first', async () => {
    upctm.script([500]);
    const { run, metrics, details } = await runOnce(harness);
    await harness.writer.recordSourceCounts(run.id, [{ source: 'SPA', count: 7, metrics: { job_executions: 7, failed: 1 }, durationMs: 1, line: 'again' }]);
    const detail = await harness.runs.getDetail(run.name);
    expect(detail?.metrics).toEqual(metrics);
    expect(detail?.details).toEqual(details);
  });

  it('keeps each run’s metrics apart when concurrent writes share one statement', async () => {
    const created = await Promise.all(
      [1, 2, 3].map((index) =>
        harness.runs.createRun({ job: 'license-count', client: 'batch', parameters: {}, trigger: 'manual', businessDate: '2026-11-25', firstLine: `run ${index}`, now: new Date(Date.UTC(2026, 10, 25, 9, 0, index)) }),
      ),
    );
    const ids = created.map(({ run }) => run.id);
    const outcomes = await Promise.all(
      ids.map((id, index) =>
        harness.writer.completeRun(id, {
          total: 100 + index,
          limit: 1000,
          counts: { SPA: index, UPCTM: 100 },
          client: 'batch',
          businessDate: '2026-11-25',
          message: 'ok',
          lines: [],
          sources: [
            { source: 'SPA', count: index, metrics: { job_executions: index, failed: 10 + index }, durationMs: 1, line: 'SPA' },
            { source: 'UPCTM', count: 100, metrics: { job_executions: 100 }, durationMs: 1, line: 'UPCTM' },
          ],
          metrics: [
            { metric: 'job_executions', rule: 'sum', value: 100 + index },
            { metric: 'failed', rule: 'sum', value: 10 + index },
          ],
        }),
      ),
    );
    expect(outcomes).toEqual(['finished', 'finished', 'finished']);
    for (const [index, { run }] of created.entries()) {
      const detail = await harness.runs.getDetail(run.name);
      expect(rowsOf(detail?.metrics ?? []), run.name).toEqual([
        [null, 'failed', 'sum', 10 + index],
        [null, 'job_executions', 'sum', 100 + index],
        ['SPA', 'failed', null, 10 + index],
        ['SPA', 'fetch_duration_ms', null, 1],
        ['SPA', 'job_executions', null, index],
        ['UPCTM', 'fetch_duration_ms', null, 1],
        ['UPCTM', 'job_executions', null, 100],
      ]);
    }
  });
});
