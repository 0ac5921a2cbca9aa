import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisConnection } from '../../src/queues/connection.js';
import { ALL_QUEUE_NAMES } from '../../src/queues/names.js';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix of its own for one test file; the hash tag keeps keys in one cluster slot. */
export function testPrefix(): string {
  return `{jt-test-${randomBytes(5).toString('hex')}}`;
}

export function testRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
}

/** Removes every key of every jobtally queue under `prefix`. */
export async function obliterateQueues(prefix: string, connection: RedisConnection): Promise<void> {
  for (const name of ALL_QUEUE_NAMES) {
    const queue = new Queue(name, { connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
