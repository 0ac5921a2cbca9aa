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

/** Removes every key of every jobtally queue under `prefix`, and the web role's sessions. */
export async function obliterateQueues(prefix: string, connection: RedisConnection): Promise<void> {
  for (const name of ALL_QUEUE_NAMES) {
    const queue = new Queue(name, { connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
  const sessions = await connection.keys(`${prefix}:web:session:*`);
  if (sessions.length > 0) await connection.del(...sessions);
}

/** Every value stored under `prefix` of a standalone Redis, as text: for tests that assert what Redis must never hold. */
export async function storedText(prefix: string, redis: RedisConnection): Promise<string> {
  if (!(redis instanceof Redis)) throw new Error('storedText scans a standalone Redis');
  const connection = redis;
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', '500');
    cursor = next;
    for (const key of keys) {
      const type = await connection.type(key);
      if (type === 'string') parts.push(key, (await connection.get(key)) ?? '');
      else if (type === 'hash') parts.push(key, ...Object.entries(await connection.hgetall(key)).flat());
      else if (type === 'list') parts.push(key, ...(await connection.lrange(key, 0, -1)));
      else if (type === 'set') parts.push(key, ...(await connection.smembers(key)));
      else if (type === 'zset') parts.push(key, ...(await connection.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(key, JSON.stringify(await connection.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}
