import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { openDatabase } from '../src/persistence/db.js';
import type { ChildRequest, ChildResult } from './pipeline-child.js';

export interface PipelineSettings {
  postgresUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

const RAW_SCHEMA = `
  create table raw_totals (id bigint generated always as identity primary key, total bigint not null, enqueued_at timestamptz(3) not null, created_at timestamptz(3) not null default clock_timestamp());
  create table raw_details (id bigint generated always as identity primary key, total_id bigint not null references raw_totals(id), message text not null, created_at timestamptz(3) not null default clock_timestamp());`;

/**
 * Runs one repetition in a fresh process on a fresh database and queue prefix, so no run inherits
 * another's warm caches, leftovers or heap.
 */
export async function repetition(settings: PipelineSettings, request: Omit<ChildRequest, 'databaseUrl' | 'redisUrl' | 'prefix'>): Promise<ChildResult> {
  const name = `jobtally_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const admin = postgres(settings.postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(settings.postgresUrl);
  url.pathname = `/${name}`;
  try {
    if (request.mode === 'product') {
      const database = await openDatabase({ url: url.toString(), dataDir: '/nonexistent' });
      await database.migrate();
      await database.close();
    } else {
      const raw = postgres(url.toString(), { max: 1, onnotice: () => undefined });
      await raw.unsafe(RAW_SCHEMA);
      await raw.end();
    }
    const child: ChildRequest = { ...request, databaseUrl: url.toString(), redisUrl: settings.redisUrl, prefix };
    const { stdout } = await promisify(execFile)(process.execPath, [...(process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', 'bench/pipeline-child.ts', JSON.stringify(child)], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    const redis = new Redis(settings.redisUrl);
    for (const pattern of [`${prefix}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    redis.disconnect();
  }
}
