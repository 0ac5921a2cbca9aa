import { Redis } from 'ioredis';
import { redactUrl } from '../config/secret.js';
import { ServiceUnavailableError } from '../errors.js';

export type RedisRole = 'worker' | 'producer';

/**
 * Workers block on Redis and must wait through reconnects (`maxRetriesPerRequest: null`, as BullMQ
 * requires). Producers answer people (CLI, HTTP), so their commands give up after a few retries.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 6), 5000),
  });
}

/** Fails with one clear error when Redis does not answer in time. */
export async function pingRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (cause) {
    throw new ServiceUnavailableError(`Redis at ${redactUrl(url, 'Redis')} is not reachable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
      hint: 'start Redis (`docker compose up -d redis` or your OS package) or set REDIS_URL',
    });
  } finally {
    probe.disconnect();
  }
}
