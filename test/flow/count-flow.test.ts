import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingCountError, SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { aggregateJobId, fetchJobId, QUEUE_NAMES } from '../../src/queues/names.js';
import { createHarness, runOnce, type Harness } from '../support/harness.js';
import { scriptedSource, type Step } from '../support/sources.js';
import { waitFor } from '../support/wait.js';

let harness: Harness;
const counts = { SPA: 20_000, UPCTM: 28_500 };
const sources = {
  SPA: scriptedSource('SPA', [0]),
  UPCTM: scriptedSource('UPCTM', [0]),
};

/** Scripts both sources for the next run(s). */
function answer(spa: Step[], upctm: Step[]) {
  sources.SPA.script(spa);
  sources.UPCTM.script(upctm);
}


beforeAll(async () => {
  harness = await createHarness();
  harness.startWorkers([sources.SPA, sources.UPCTM]);
});
afterAll(async () => {
  await harness.close();
});

describe('count flow', () => {
  it('stores a total equal to the limit, with per-source counts and a readable story', async () => {
    answer([counts.SPA], [counts.UPCTM]);
    const { run, total, counts: stored, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(total).toMatchObject({ total: 48_500, limit: 48_500, counts: { SPA: 20_000, UPCTM: 28_500 } });
    expect(stored.map((row) => [row.source, row.count])).toEqual([
      ['SPA', 20_000],
      ['UPCTM', 28_500],
    ]);
    const story = details.map((line) => line.message);
    expect(story[0]).toMatch(/^Queued \(manual run\) for \d{4}-\d{2}-\d{2}: sources SPA, UPCTM; limit 48,500$/);
    expect(story).toContainEqual(expect.stringMatching(/^SPA: 20,000 job executions in \d+ ms$/));
    expect(story).toContainEqual(expect.stringMatching(/^UPCTM: 28,500 job executions in \d+ ms$/));
    expect(story).toContain('Total 48,500 of limit 48,500 (100.0%)');
    expect(story.at(-1)).toMatch(/^Run succeeded: total 48,500 stored in/);
    expect(run.startedAt).not.toBeNull();
    expect(run.finishedAt).not.toBeNull();
  });

  it('fails a run over the limit: error with counts and total vs limit, no totals row, one alert', async () => {
    answer([counts.SPA], [counts.UPCTM + 1]);
    const before = harness.alerts.length;
    const { run, total, counts: stored, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.error);
    expect(total).toBeUndefined();
    expect(stored).toHaveLength(2);
    expect(run.message).toBe('total 48,501 exceeds the license limit 48,500 by 1');
    expect(details.at(-1)).toMatchObject({ level: 'error' });
    // The alert goes out after the run is stored, so it may land a moment after the status.
    await waitFor('the limit alert', () => Promise.resolve(harness.alerts.length > before));
    expect(harness.alerts.slice(before)).toEqual([expect.objectContaining({ kind: 'limit-exceeded', total: 48_501, limit: 48_500 })]);
  });

  it('fails at once on a permanent source error, naming the source and the reason, without retrying', async () => {
    answer([new MissingCountError('SPA', 'count at path usage is absent')], [1]);
    const { run, total, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.error);
    expect(total).toBeUndefined();
    expect(run.message).toContain('SPA: no valid count (count at path usage is absent)');
    expect(details.some((line) => line.level === 'error' && line.source === 'SPA')).toBe(true);
    expect(sources.SPA.calls).toBe(1);
  });

  it('keeps the count of a source that answers after another source failed the run', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    answer([new MissingCountError('SPA', 'boom')], [() => gate.then(() => ({ count: 7 }))]);
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    const failed = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(failed.status).toBe(RUN_STATUS.error);
    const aggregateJob = aggregateJobId(queued.name);
    await waitFor('the run’s aggregate job to fail', async () => (await harness.queueSet.queues[QUEUE_NAMES.aggregate].getJobState(aggregateJob)) === 'failed');
    release();
    const detail = await waitFor('the late count', async () => {
      const found = await harness.runs.getDetail(queued.name);
      return found?.counts.length ? found : undefined;
    });
    expect(detail.counts.map((row) => [row.source, row.count])).toEqual([['UPCTM', 7]]);
    expect(detail.details.map((line) => line.message)).toContainEqual(expect.stringMatching(/^UPCTM: 7 job executions in \d+ ms$/));
    expect(detail.total).toBeUndefined();
    expect(detail.run.message).toContain('SPA: no valid count (boom)');
  });

  it('keeps the count of a source that answered before another source failed the run', async () => {
    let runName = '';
    const upctmDone = () => waitFor('UPCTM’s fetch job to complete', async () => runName !== '' && (await harness.queueSet.queues[QUEUE_NAMES.fetch].getJobState(fetchJobId(runName, 'UPCTM'))) === 'completed');
    answer([() => upctmDone().then(() => Promise.reject(new MissingCountError('SPA', 'boom')))], [9]);
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    runName = queued.name;
    const detail = await waitFor('the answered count', async () => {
      const found = await harness.runs.getDetail(queued.name);
      return found?.run.status === RUN_STATUS.error && found.counts.length > 0 ? found : undefined;
    });
    expect(detail.counts.map((row) => [row.source, row.count])).toEqual([['UPCTM', 9]]);
    expect(detail.total).toBeUndefined();
  });

  it('retries a transient source error and succeeds, logging the failed attempt', async () => {
    answer([new SourceUnavailableError('UPCTM', 'HTTP 500 Internal Server Error'), 7], [new SourceUnavailableError('UPCTM', 'HTTP 500'), 5]);
    const { run, total, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(total?.total).toBe(12);
    expect(details.filter((line) => line.level === 'warn')).toHaveLength(2);
    expect(details.find((line) => line.level === 'warn')?.message).toMatch(/attempt 1 of 3 failed: .*HTTP 500.*; retrying/);
  });

  it('gives up after the configured attempts of a transient error', async () => {
    answer([1], [new SourceUnavailableError('UPCTM', 'connection refused')]);
    const { run, total } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.error);
    expect(total).toBeUndefined();
    expect(run.message).toBe('UPCTM: connection refused (after 3 attempts)');
    expect(sources.UPCTM.calls).toBe(3);
  });

  it('creates one run for a repeated idempotency key, even concurrently', async () => {
    answer([1], [2]);
    const [first, second] = await Promise.all([
      harness.producer.enqueueRun({ trigger: 'schedule', idempotencyKey: 'tick-42' }),
      harness.producer.enqueueRun({ trigger: 'schedule', idempotencyKey: 'tick-42' }),
    ]);
    expect(first.name).toBe(second.name);
    await waitForRunFinished(harness.runs, first.name, { timeoutMs: 15_000, intervalMs: 20 });
    const again = await harness.producer.enqueueRun({ trigger: 'schedule', idempotencyKey: 'tick-42' });
    expect(again).toMatchObject({ name: first.name, created: false });
    expect(sources.SPA.calls).toBe(1);
  });

  it('retries a failed run as a new linked run', async () => {
    answer([new MissingCountError('SPA', 'boom')], [1]);
    const failed = await runOnce(harness);
    answer([3], [4]);
    const retry = await harness.producer.retryRun(failed.run.name);
    const done = await waitForRunFinished(harness.runs, retry.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(done).toMatchObject({ status: RUN_STATUS.success, retriedFrom: failed.run.name, retryCount: 1, trigger: 'retry' });
    const original = await harness.runs.getDetail(failed.run.name);
    expect(original?.retries.map((entry) => entry.name)).toEqual([retry.name]);
    await expect(harness.producer.retryRun(retry.name)).rejects.toThrow(/is success, only failed runs can be retried/);
  });

  it('rejects unknown sources and bad parameters with field errors', async () => {
    await expect(harness.producer.enqueueRun({ trigger: 'api', parameters: { sources: ['NOPE'] } })).rejects.toThrow(/unknown source NOPE/);
    await expect(harness.producer.enqueueRun({ trigger: 'api', parameters: { date: '2025-13-45' } })).rejects.toMatchObject({
      issues: [{ path: 'date', message: expect.any(String) }],
    });
  });
});
