import { freePort, RedisProcess } from '../../support/redis-servers.js';

export { freePort };

/** A private redis-server with AOF on, in its own directory, that a test can stop and start again. */
export function startOwnRedis(dir: string): Promise<RedisProcess> {
  return RedisProcess.start(dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction']);
}
