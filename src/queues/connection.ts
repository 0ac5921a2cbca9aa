import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions as IoRedisOptions } from 'ioredis';
import { describeRedisTarget, type RedisConfig } from '../config/redis.js';
import { ConfigError, ServiceUnavailableError } from '../errors.js';
import { explainRedisError } from './redis-errors.js';

export type RedisRole = 'worker' | 'producer';

/** One Redis server, a Sentinel-managed master (both `Redis`) or a Cluster: BullMQ takes all three. */
export type RedisConnection = Redis | Cluster;

/** ioredis types `replyMapping` as not-undefined-able, which strict optional properties trip on. */
type RedisOptions = Omit<IoRedisOptions, 'replyMapping'>;

const reconnectDelay = (times: number) => Math.min(200 * 2 ** Math.min(times, 6), 5000);

/**
 * Workers block on Redis and must wait through reconnects (`maxRetriesPerRequest: null`, as BullMQ
 * requires). Producers answer people (CLI, HTTP), so their commands give up after a few retries.
 */
export function createRedis(config: RedisConfig, role: RedisRole): RedisConnection {
  return connect(config, {
    maxRetriesPerRequest: role === 'worker' ? null : 3,
    enableReadyCheck: true,
    retryStrategy: reconnectDelay,
  });
}

/**
 * Fails with one clear error, saying what to fix, unless Redis accepts a write to the queue
 * prefix's slot in time: a cluster node that does not own it (MOVED), a replica (READONLY), a
 * cluster without all its slots (CLUSTERDOWN), a refused password or certificate all stop here.
 */
export async function probeRedis(config: RedisConfig, queuePrefix: string, timeoutMs = 3000): Promise<void> {
  const probe = connect(config, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false }, { clusterRetryStrategy: () => null });
  const errors: unknown[] = [];
  probe.on('error', (error: unknown) => errors.push(error));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await probe.connect();
        await writeProbe(probe, queuePrefix);
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const last = errors.at(-1);
          reject(last instanceof Error ? last : new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
  } catch (cause) {
    const explained = explainRedisError(isConnectionClosed(cause) ? (errors.find((error) => !isConnectionClosed(error)) ?? cause) : cause);
    throw new ServiceUnavailableError(`Redis (${describeRedisTarget(config)}) is not serving: ${explained.detail}`, { cause, hint: explained.advice });
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

/**
 * A write to the queue prefix's own slot: what BullMQ will do next. The key is removed at once (it
 * expires anyway if the process dies in between), so the prefix holds nothing but queues.
 */
export async function writeProbe(connection: RedisConnection, queuePrefix: string): Promise<string> {
  const key = `${queuePrefix}:probe`;
  const answer = await connection.set(key, String(Date.now()), 'PX', 60_000);
  await connection.del(key);
  return `write ok (${answer})`;
}

/** ioredis reports a refused handshake (TLS, AUTH) as "Connection is closed."; its error event says why. */
function isConnectionClosed(error: unknown): boolean {
  return error instanceof Error && error.message === 'Connection is closed.';
}

function connect(config: RedisConfig, options: RedisOptions, clusterOptions: Pick<ClusterOptions, 'clusterRetryStrategy'> | Record<string, never> = {}): RedisConnection {
  const tls = readTls(config);
  const shared: RedisOptions = {
    ...options,
    ...(config.username ? { username: config.username.reveal() } : {}),
    ...(config.password ? { password: config.password.reveal() } : {}),
    ...(tls ? { tls } : {}),
  };
  const { target } = config;
  switch (target.kind) {
    case 'auto':
      throw new Error('resolve the local Redis before connecting (resolveRedis)');
    case 'url':
      return new Redis(target.url.reveal(), shared);
    case 'sentinel':
      return new Redis({
        ...shared,
        sentinels: target.sentinels,
        name: target.name,
        ...(target.password ? { sentinelPassword: target.password.reveal() } : {}),
        ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
        sentinelRetryStrategy: options.retryStrategy ?? reconnectDelay,
        // After a failover the old master becomes a replica: reconnect and ask the sentinels again.
        reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
      });
    case 'cluster': {
      const { maxRetriesPerRequest, enableOfflineQueue, lazyConnect, connectTimeout, username, password } = shared;
      const redisOptions = {
        ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}),
        ...(connectTimeout !== undefined ? { connectTimeout } : {}),
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(tls ? { tls } : {}),
      };
      return new Cluster(target.nodes, {
        redisOptions,
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
        ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
        enableReadyCheck: true,
        clusterRetryStrategy: reconnectDelay,
        // TLS certificates name the hosts configured, not the addresses nodes announce.
        ...(tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
        ...clusterOptions,
      });
    }
  }
}

function readTls(config: RedisConfig): TlsOptions | undefined {
  if (!config.tls) return undefined;
  const { caFile, certFile, keyFile, servername } = config.tls;
  const read = (file: string | undefined, field: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (cause) {
      throw new ConfigError(`redis.tls.${field} ${file} cannot be read`, [{ path: `redis.tls.${field}`, message: 'cannot be read' }], { cause, hint: 'check the path and its permissions' });
    }
  };
  const ca = read(caFile, 'caFile');
  const cert = read(certFile, 'certFile');
  const key = read(keyFile, 'keyFile');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(servername ? { servername } : {}) };
}
