import type { RedisConnection } from '../src/queues/connection.js';

/** Deletes every key under a bench run's queue prefix, so runs leave nothing behind in Redis. */
export async function deleteQueueKeys(redis: RedisConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
