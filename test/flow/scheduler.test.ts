import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduleWorker } from '../../src/flow/workers.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { QUEUE_NAMES } from '../../src/queues/names.js';
import { listSchedules, syncSchedules, upsertSchedule } from '../../src/queues/scheduler.js';
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

describe('schedules', () => {
  it('syncs config schedules into BullMQ job schedulers, removing dropped ones but keeping CLI ones', async () => {
    const queue = harness.queueSet.queues[QUEUE_NAMES.schedule];
    await syncSchedules(
      queue,
      [
        { name: 'every-hour', every: 3_600_000, client: 'default' },
        { name: 'paris-morning', cron: '0 7 * * 1-5', tz: 'Europe/Paris', client: 'acme' },
      ],
      harness.logger,
    );
    await upsertSchedule(queue, { name: 'manual-extra', every: 7_200_000, client: 'default' }, 'cli');
    expect((await listSchedules(queue)).map((entry) => entry.name).sort()).toEqual(['every-hour', 'manual-extra', 'paris-morning']);
    expect(await listSchedules(queue)).toContainEqual(expect.objectContaining({ name: 'paris-morning', cron: '0 7 * * 1-5', tz: 'Europe/Paris', client: 'acme', origin: 'config' }));

    await syncSchedules(queue, [{ name: 'every-hour', every: 1_800_000, client: 'default' }], harness.logger);
    const after = await listSchedules(queue);
    expect(after.map((entry) => entry.name).sort()).toEqual(['every-hour', 'manual-extra']);
    expect(after.find((entry) => entry.name === 'every-hour')?.every).toBe(1_800_000);
  });

  it('returns the tick a new every-schedule queues at once, and none for a cron schedule', async () => {
    const queue = harness.queueSet.queues[QUEUE_NAMES.schedule];
    try {
      const due = await upsertSchedule(queue, { name: 'new-every', every: 3_600_000, client: 'acme' }, 'config');
      expect(due).toEqual({ schedule: 'new-every', client: 'acme', jobId: expect.any(String) });
      const tick = await queue.getJob(due!.jobId);
      expect(await tick?.getState()).toBe('waiting');
      expect(tick?.data).toMatchObject({ schedule: 'new-every', client: 'acme' });
      expect(await upsertSchedule(queue, { name: 'new-cron', cron: '0 7 * * *', client: 'acme' }, 'config')).toBeUndefined();
      expect(await syncSchedules(queue, [{ name: 'new-every', every: 3_600_000, client: 'acme' }, { name: 'new-cron', cron: '0 7 * * *', client: 'acme' }], harness.logger)).toEqual([due]);
    } finally {
      await queue.removeJobScheduler('new-every');
      await queue.removeJobScheduler('new-cron');
      await queue.drain(true);
    }
  });

  it('turns each tick into exactly one scheduled run that gets counted', async () => {
    const queue = harness.queueSet.queues[QUEUE_NAMES.schedule];
    await syncSchedules(queue, [], harness.logger);
    harness.startWorkers([scriptedSource('SPA', [10]), scriptedSource('UPCTM', [20])]);
    const ticks = startScheduleWorker({ connection: harness.connection, prefix: harness.config.queue.prefix, logger: harness.logger }, harness.producer);
    await upsertSchedule(queue, { name: 'fast', every: 300, client: 'default' }, 'config');
    try {
      const page = await waitFor('two scheduled runs', async () => {
        const { rows } = await harness.runs.listRuns({}, { limit: 50 });
        const scheduled = rows.filter((row) => row.trigger === 'schedule' && row.idempotencyKey?.startsWith('schedule:fast:'));
        return scheduled.length >= 2 ? scheduled : undefined;
      });
      const run = await waitForRunFinished(harness.runs, page.at(-1)!.name, { timeoutMs: 10_000, intervalMs: 20 });
      expect(run.status).toBe(3);
      expect(new Set(page.map((row) => row.idempotencyKey)).size).toBe(page.length);
    } finally {
      await queue.removeJobScheduler('fast');
      await ticks.close(true);
    }
  });
});
