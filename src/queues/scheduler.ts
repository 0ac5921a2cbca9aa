import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { ScheduleConfig } from '../config/schema.js';
import type { ScheduleTickData } from '../flow/job-data.js';

export interface ScheduleInfo {
  name: string;
  every?: number;
  cron?: string;
  tz?: string;
  client: string;
  origin: ScheduleTickData['origin'];
  next?: Date;
}

export interface ScheduleSpec {
  name: string;
  every?: number | undefined;
  cron?: string | undefined;
  tz?: string | undefined;
  client: string;
}

const TICK_JOB_NAME = 'tick';

/** Creates or updates one BullMQ job scheduler that drops a `tick` into the schedule queue. */
export async function upsertSchedule(queue: Queue, spec: ScheduleSpec, origin: ScheduleTickData['origin']): Promise<void> {
  const repeat = spec.every !== undefined ? { every: spec.every } : { pattern: spec.cron ?? '', ...(spec.tz ? { tz: spec.tz } : {}) };
  const data: ScheduleTickData = { schedule: spec.name, client: spec.client, origin };
  await queue.upsertJobScheduler(spec.name, repeat, {
    name: TICK_JOB_NAME,
    data,
    // A tick that cannot create its run (Postgres down) retries for about 17 minutes; its
    // idempotency key makes every attempt the same run, so an outage loses no scheduled count.
    opts: { attempts: TICK_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
  });
}

export const TICK_ATTEMPTS = 11;

export async function listSchedules(queue: Queue): Promise<ScheduleInfo[]> {
  const schedulers = await queue.getJobSchedulers(0, -1, true);
  return schedulers.map((scheduler) => {
    const data = scheduler.template?.data as Partial<ScheduleTickData> | undefined;
    return {
      name: scheduler.key,
      ...(scheduler.every ? { every: Number(scheduler.every) } : {}),
      ...(scheduler.pattern ? { cron: scheduler.pattern } : {}),
      ...(scheduler.tz ? { tz: scheduler.tz } : {}),
      client: data?.client ?? 'default',
      origin: data?.origin ?? 'config',
      ...(scheduler.next ? { next: new Date(scheduler.next) } : {}),
    };
  });
}

export async function removeSchedule(queue: Queue, name: string): Promise<boolean> {
  return queue.removeJobScheduler(name);
}

/**
 * Makes Redis match the config: every configured schedule is upserted, and schedules that came
 * from the config but are no longer in it are removed. Schedules set from the CLI are left alone.
 */
export async function syncSchedules(queue: Queue, schedules: readonly ScheduleConfig[], logger: Logger): Promise<void> {
  for (const schedule of schedules) await upsertSchedule(queue, schedule, 'config');
  const wanted = new Set(schedules.map((schedule) => schedule.name));
  for (const existing of await listSchedules(queue)) {
    if (existing.origin === 'config' && !wanted.has(existing.name)) {
      await removeSchedule(queue, existing.name);
      logger.info({ schedule: existing.name }, 'schedule removed: no longer in the config');
    }
  }
  logger.info({ schedules: [...wanted] }, 'schedules in sync with the config');
}
