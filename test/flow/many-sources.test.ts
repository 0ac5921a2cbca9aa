import { afterAll, describe, expect, it } from 'vitest';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createSources } from '../../src/lifecycle/app.js';
import { createHarness, type Harness } from '../support/harness.js';

const harnesses: Harness[] = [];
afterAll(async () => {
  await Promise.all(harnesses.map((harness) => harness.close()));
});

describe('any number of sources', () => {
  it.each([1, 20])('counts a run over %i sources', async (sourceCount) => {
    const sources = Array.from({ length: sourceCount }, (_, index) => ({ name: `ENV${index + 1}`, type: 'static', count: (index + 1) * 100 }));
    const harness = await createHarness({ sources, limit: 1_000_000 });
    harnesses.push(harness);
    harness.startWorkers([...createSources(harness.config).values()]);
    const queued = await harness.producer.enqueueRun({ trigger: 'manual' });
    const run = await waitForRunFinished(harness.runs, queued.name, { timeoutMs: 20_000, intervalMs: 20 });
    expect(run.status).toBe(RUN_STATUS.success);
    const detail = await harness.runs.getDetail(run.name);
    expect(detail?.counts).toHaveLength(sourceCount);
    expect(detail?.total?.total).toBe((100 * sourceCount * (sourceCount + 1)) / 2);
    expect(Object.keys(detail?.total?.counts ?? {})).toHaveLength(sourceCount);
  });
});
