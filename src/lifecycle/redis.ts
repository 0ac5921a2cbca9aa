import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { describeRedisTarget, redisAtUrl, type RedisConfig } from '../config/redis.js';
import { dataDirLayout } from '../config/data-dir.js';
import { ServiceUnavailableError } from '../errors.js';
import { probeRedis } from '../queues/connection.js';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisEndpoint {
  /** Where to connect: the configured Redis, or the local one found. */
  config: RedisConfig;
  /** Where it is, fit to print. */
  description: string;
  /** How it was found, for the start-up banner. */
  origin: 'configured' | 'local' | 'private';
  /** Stops the private redis-server we started, if any. */
  stop(): Promise<void>;
}

/**
 * The configured Redis (`redis:` or REDIS_URL) when set; otherwise a Redis on 127.0.0.1:6379;
 * otherwise a private `redis-server` from PATH, with its files in the data dir. Each must accept a
 * write to the queue prefix's slot, or start-up stops with what to fix.
 */
export async function resolveRedis(options: { config: RedisConfig; queuePrefix: string; dataDir: string; logger: Logger }): Promise<RedisEndpoint> {
  const none = () => Promise.resolve();
  const { config, queuePrefix } = options;
  if (config.target.kind !== 'auto') {
    await probeRedis(config, queuePrefix);
    return { config, description: describeRedisTarget(config), origin: 'configured', stop: none };
  }
  const local = localRedis(config, LOCAL_REDIS_URL);
  try {
    await probeRedis(local, queuePrefix, 1000);
    return { config: local, description: LOCAL_REDIS_URL, origin: 'local', stop: none };
  } catch {
    return startPrivateRedis(config, queuePrefix, options.dataDir, options.logger);
  }
}

/** The local Redis, with whatever credentials and TLS files were configured. */
function localRedis(config: RedisConfig, url: string): RedisConfig {
  return { ...config, target: redisAtUrl(url, 'local Redis').target };
}

async function startPrivateRedis(config: RedisConfig, queuePrefix: string, dataDir: string, logger: Logger): Promise<RedisEndpoint> {
  const port = await freePort();
  const dir = dataDirLayout(dataDir).redis;
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'];
  let child: ChildProcess;
  try {
    child = await spawnAndWait('redis-server', args);
  } catch (cause) {
    throw new ServiceUnavailableError('no Redis found: no redis: section or REDIS_URL, nothing answers on 127.0.0.1:6379 and redis-server is not on PATH', {
      cause,
      hint: 'start one with `docker compose up -d redis` or install your OS package (apt install redis-server, brew install redis), or set REDIS_URL',
    });
  }
  const url = `redis://127.0.0.1:${port}`;
  const own = localRedis(config, url);
  await waitForRedis(own, queuePrefix);
  logger.info({ port, dir }, 'started a private redis-server');
  return {
    config: own,
    description: `private redis-server at ${url}`,
    origin: 'private',
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function spawnAndWait(command: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('spawn', () => resolve(child));
  });
}

async function waitForRedis(config: RedisConfig, queuePrefix: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await probeRedis(config, queuePrefix, 500);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
