import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { RunProducer } from '../../src/flow/producer.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { businessDateOf } from '../../src/runs/names.js';
import type { FetchContext } from '../../src/sources/types.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';

/**
 * Business date = Control-M order date: runs are dated by New Day (06:00 in Paris here), a date
 * the sources cannot count is refused before the run exists, and a source that only knows today
 * never answers for another day, even when New Day passes between queueing and fetching.
 */
let harness: Harness;
const asked: string[] = [];
const spa = scriptedSource('SPA', [
  (context: FetchContext) => {
    asked.push(context.businessDate);
    return Promise.resolve({ count: 5 });
  },
]);
const upctm = Object.assign(scriptedSource('UPCTM', [7]), { countsPastDates: false });

beforeAll(async () => {
  harness = await createHarness({
    timezone: 'Europe/Paris',
    newDayTime: '06:00',
    sources: [
      { name: 'SPA', type: 'static', count: 5 },
      { name: 'UPCTM', type: 'http-json', url: 'http://127.0.0.1:9/usage', path: 'count' },
    ],
  });
  harness.startWorkers([spa, upctm]);
});
afterAll(async () => {
  await harness.close();
});

function producerAt(now: string): RunProducer {
  return new RunProducer({ config: harness.config, runs: harness.runs, writer: harness.writer, flows: harness.queueSet.flows, logger: harness.logger, now: () => new Date(now) });
}

describe('business dates', () => {
  it('dates a run by the Control-M day: before New Day it is still the previous order date', async () => {
    // 05:59 and 06:00 in Paris (UTC+1 in December).
    await expect(producerAt('2026-12-08T04:59:00Z').enqueueRun({ trigger: 'manual', parameters: { sources: ['SPA'] } })).resolves.toMatchObject({ businessDate: '2026-12-07' });
    await expect(producerAt('2026-12-08T05:00:00Z').enqueueRun({ trigger: 'manual', parameters: { sources: ['SPA'] } })).resolves.toMatchObject({ businessDate: '2026-12-08' });
  });

  it('refuses a date no source has reached, and a past date for a source that only knows today', async () => {
    const producer = producerAt('2026-12-08T10:00:00Z');
    const future = await producer.enqueueRun({ trigger: 'manual', parameters: { date: '2026-12-09' } }).catch((error: unknown) => error);
    expect(future).toBeInstanceOf(InputError);
    expect((future as InputError).message).toMatch(/cannot count business date 2026-12-09: SPA is still in Control-M day 2026-12-08/);
    const past = await producer.enqueueRun({ trigger: 'manual', parameters: { date: '2026-12-01' } }).catch((error: unknown) => error);
    expect(past).toBeInstanceOf(InputError);
    expect((past as InputError).message).toBe('cannot count business date 2026-12-01: UPCTM (http-json) can only count its current Control-M day, 2026-12-08');
    expect((past as InputError).describe()).toContain('past dates need sources that keep them');
  });

  it('counts a past date with sources that keep past days, and hands them that date', async () => {
    const queued = await producerAt('2026-12-08T10:00:00Z').enqueueRun({ trigger: 'manual', parameters: { date: '2026-12-01', sources: ['SPA'] } });
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(run).toMatchObject({ status: RUN_STATUS.success, businessDate: '2026-12-01' });
    expect(asked).toContain('2026-12-01');
  });

  it('fails a run whose Control-M day ended before a source that only knows today was asked', async () => {
    // Queued yesterday (say 05:59:59, just before New Day) and fetched now: UPCTM would answer for today.
    const yesterday = new Date(Date.now() - 86_400_000);
    const queued = await producerAt(yesterday.toISOString()).enqueueRun({ trigger: 'manual', parameters: { sources: ['UPCTM'] } });
    expect(queued.businessDate).toBe(businessDateOf(yesterday, 'Europe/Paris', '06:00'));
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 15_000, intervalMs: 20 });
    expect(run.status).toBe(RUN_STATUS.error);
    expect(run.message).toContain(`UPCTM: can only count its current Control-M day ${businessDateOf(new Date(), 'Europe/Paris', '06:00')}, not ${queued.businessDate}`);
    expect(upctm.calls).toBe(0);
    const detail = await harness.runs.getDetail(run.name);
    expect(detail?.counts).toEqual([]);
  });

  it('refuses to retry a failed run of a past date for a source that only knows today', async () => {
    const failed = await harness.runs.createRun({ job: 'license-count', client: 'default', parameters: { sources: ['UPCTM'] }, trigger: 'manual', businessDate: '2026-11-30', firstLine: 'queued' });
    await harness.writer.failRun(failed.run.id, 'UPCTM: HTTP 503', []);
    const error = await producerAt('2026-12-08T10:00:00Z').retryRun(failed.run.name).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('UPCTM (http-json) can only count its current Control-M day, 2026-12-08');
  });
});
