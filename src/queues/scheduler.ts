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

/** A tick queued to run now, with the job id that makes it one run whoever creates that run first. */
export interface DueTick {
  schedule: string;
  client: string;
  jobId: string;
}

const TICK_JOB_NAME = 'tick';

/**
 * Creates or updates one BullMQ job scheduler that drops a `tick` into the schedule queue. Returns
 * the tick it queued for right now, if any: a new `every` schedule fires at once (delay 0), while
 * an existing one, or a cron schedule, waits for its next time.
 */
export async function upsertSchedule(queue: Queue, spec: ScheduleSpec, origin: ScheduleTickData['origin']): Promise<DueTick | undefined> {
  const repeat = spec.every !== undefined ? { every: spec.every } : { pattern: spec.cron ?? '', ...(spec.tz ? { tz: spec.tz } : {}) };
  const data: ScheduleTickData = { schedule: spec.name, client: spec.client, origin };
  const next = await queue.upsertJobScheduler(spec.name, repeat, {
    name: TICK_JOB_NAME,
    data,
    // A tick that cannot create its run (Postgres down) retries for about 17 minutes; its
    // idempotency key makes every attempt the same run, so an outage loses no scheduled count.
    opts: { attempts: TICK_ATTEMPTS, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 500 } },
  });
  return next?.id !== undefined && next.delay === 0 ? { schedule: spec.name, client: spec.client, jobId: next.id } : undefined;
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
 * Returns the ticks queued for right now (see `upsertSchedule`).
 */
export async function syncSchedules(queue: Queue, schedules: readonly ScheduleConfig[], logger: Logger): Promise<DueTick[]> {
  const due: DueTick[] = [];
  for (const schedule of schedules) {
    const tick = await upsertSchedule(queue, schedule, 'config');
    if (tick) due.push(tick);
  }
  const wanted = new Set(schedules.map((schedule) => schedule.name));
  for (const existing of await listSchedules(queue)) {
    if (existing.origin === 'config' && !wanted.has(existing.name)) {
      await removeSchedule(queue, existing.name);
      logger.info({ schedule: existing.name }, 'schedule removed: no longer in the config');
    }
  }
  logger.info({ schedules: [...wanted] }, 'schedules in sync with the config');
  return due;
}
