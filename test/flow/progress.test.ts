import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import type { CountSource, SourceFetchResult } from '../../src/sources/types.js';
import { createHarness, type Harness } from '../support/harness.js';

/** A source that answers only when the test lets it: a fetch that takes as long as a slow scheduler API. */
class HeldSource implements CountSource {
  readonly type = 'held';
  readonly countsPastDates = true;
  private release: ((result: SourceFetchResult) => void) | undefined;
  started = false;
  constructor(readonly name: string) {}
  describe() {
    return 'held by the test';
  }
  fetchCount(): Promise<SourceFetchResult> {
    this.started = true;
    return new Promise((resolve) => (this.release = resolve));
  }
  answer(count: number) {
    this.release?.({ count });
  }
}

let harness: Harness;
const sources = [new HeldSource('SPA'), new HeldSource('UPCTM')];

beforeAll(async () => {
  harness = await createHarness();
  harness.startWorkers(sources);
});
afterAll(async () => {
  for (const source of sources) source.answer(0);
  await harness.close();
});

describe('run progress', () => {
  it('shows a run as processing while its sources are still being fetched, then finishes it', async () => {
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    await vi.waitFor(
      async () => {
        const run = await harness.runs.findByName(queued.name);
        expect(sources.every((source) => source.started)).toBe(true);
        expect(run?.status).toBe(RUN_STATUS.processing);
        expect(run?.startedAt).toBeInstanceOf(Date);
      },
      { timeout: 10_000, interval: 50 },
    );
    for (const source of sources) source.answer(150);
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 10_000, intervalMs: 20 });
    expect(run.status).toBe(RUN_STATUS.success);
    expect(run.finishedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt!.getTime());
  });
});
