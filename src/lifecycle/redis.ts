import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import { dataDirLayout } from '../config/data-dir.js';
import { ServiceUnavailableError } from '../errors.js';
import { pingRedis } from '../queues/connection.js';

export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisEndpoint {
  url: string;
  /** How it was found, for the start-up banner. */
  origin: 'configured' | 'local' | 'private';
  /** Stops the private redis-server we started, if any. */
  stop(): Promise<void>;
}

/**
 * REDIS_URL when set; otherwise a Redis on 127.0.0.1:6379; otherwise a private `redis-server`
 * from PATH, with its files in the data dir. If none of these exists: one clear error.
 */
export async function resolveRedis(options: { url?: string | undefined; dataDir: string; logger: Logger }): Promise<RedisEndpoint> {
  const none = () => Promise.resolve();
  if (options.url) {
    await pingRedis(options.url);
    return { url: options.url, origin: 'configured', stop: none };
  }
  try {
    await pingRedis(LOCAL_REDIS_URL, 1000);
    return { url: LOCAL_REDIS_URL, origin: 'local', stop: none };
  } catch {
    return startPrivateRedis(options.dataDir, options.logger);
  }
}

async function startPrivateRedis(dataDir: string, logger: Logger): Promise<RedisEndpoint> {
  const port = await freePort();
  const dir = dataDirLayout(dataDir).redis;
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'];
  let child: ChildProcess;
  try {
    child = await spawnAndWait('redis-server', args);
  } catch (cause) {
    throw new ServiceUnavailableError('no Redis found: REDIS_URL is not set, nothing answers on 127.0.0.1:6379 and redis-server is not on PATH', {
      cause,
      hint: 'start one with `docker compose up -d redis` or install your OS package (apt install redis-server, brew install redis), or set REDIS_URL',
    });
  }
  const url = `redis://127.0.0.1:${port}`;
  await waitForRedis(url);
  logger.info({ port, dir }, 'started a private redis-server');
  return {
    url,
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

async function waitForRedis(url: string): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await pingRedis(url, 500);
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
