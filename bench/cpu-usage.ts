import { readdir, readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';

/**
 * CPU time spent by each part of a flow, in ms. On a machine where a run's work keeps every core
 * busy, throughput follows CPU per run, which machine noise moves far less than runs/s.
 */
export interface CpuTimes {
  /** Every `postgres` process on this host (backends, WAL writer, checkpointer); absent when Postgres runs elsewhere. */
  postgres?: number | undefined;
  redis: number;
  /** The process that reads this. */
  process: number;
}

/**
 * Linux's clock tick for /proc CPU times. USER_HZ is 100 on every architecture Linux builds for
 * (sysconf(_SC_CLK_TCK)); Node cannot ask.
 */
const TICKS_PER_SECOND = 100;

export async function readCpuTimes(redis: Redis): Promise<CpuTimes> {
  const [postgres, redisMs] = await Promise.all([postgresCpuMs(), redisCpuMs(redis)]);
  return { postgres, redis: redisMs, process: processCpuMs() };
}

/** User + system CPU of this process so far, in ms. */
export function processCpuMs(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000;
}

export function cpuSpent(from: CpuTimes, to: CpuTimes): CpuTimes {
  return {
    postgres: from.postgres === undefined || to.postgres === undefined ? undefined : to.postgres - from.postgres,
    redis: to.redis - from.redis,
    process: to.process - from.process,
  };
}

/** Redis's own account of its CPU (`INFO cpu`), which holds wherever Redis runs. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1000;
}

/**
 * Sum of user + system time of the `postgres` processes this host runs. Backends that exit during
 * a measurement take their time with them, so the flows keep their connections open until it ends.
 */
async function postgresCpuMs(): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const stats = await Promise.all(entries.filter((entry) => /^\d+$/.test(entry)).map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')));
  let ticks = 0;
  let found = false;
  for (const stat of stats) {
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so fields count from the last ')'.
    const commEnd = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, commEnd) !== 'postgres') continue;
    const fields = stat.slice(commEnd + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
    found = true;
  }
  return found ? (ticks / TICKS_PER_SECOND) * 1000 : undefined;
}
