import { Cluster } from 'ioredis';
import { writeProbe, type RedisConnection } from '../queues/connection.js';
import { explainRedisError } from '../queues/redis-errors.js';
import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../persistence/db.js';

export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it fails. */
  advice?: string | undefined;
}

export interface HealthDeps {
  connection: RedisConnection;
  /** Redis must accept writes to this prefix's slot, where the queues are. */
  queuePrefix: string;
  database: DatabaseHandle;
  timeoutMs?: number;
}

async function timed(name: string, timeoutMs: number, check: () => Promise<string>, advice: string | ((error: unknown) => HealthFailure)): Promise<HealthCheck> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, ok: true, detail };
  } catch (error) {
    if (typeof advice !== 'string') return { name, ok: false, ...advice(error) };
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error), advice };
  } finally {
    clearTimeout(timer);
  }
}

type HealthFailure = Pick<HealthCheck, 'detail' | 'advice'>;

/**
 * Redis serves the queues when it takes a write to their slot. A cluster with a slot unserved
 * would only make that write wait (commands retry through CLUSTERDOWN), so its state is asked first.
 */
async function redisServing(connection: RedisConnection, queuePrefix: string): Promise<string> {
  if (connection instanceof Cluster) {
    for (const node of connection.nodes('master')) {
      const info = await node.cluster('INFO');
      const state = /cluster_state:(\w+)/.exec(info)?.[1];
      if (state !== 'ok') throw new Error(`CLUSTERDOWN cluster_state:${state ?? 'unknown'} on ${node.options.host ?? '?'}:${node.options.port ?? '?'}`);
    }
    return `cluster ok, ${await writeProbe(connection, queuePrefix)}`;
  }
  return writeProbe(connection, queuePrefix);
}

/** What a role needs to do its work: Redis answering, Postgres answering, schema up to date. */
export async function readinessChecks(deps: HealthDeps): Promise<HealthCheck[]> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  return Promise.all([
    timed('redis', timeoutMs, () => redisServing(deps.connection, deps.queuePrefix), explainRedisError),
    timed('postgres', timeoutMs, async () => {
      await deps.database.db.execute(sql`select 1`);
      return `query ok (${deps.database.location})`;
    }, 'check DATABASE_URL and that Postgres is up'),
    timed('migrations', timeoutMs, async () => {
      const pending = await deps.database.pendingMigrations();
      if (pending > 0) throw new Error(`${pending} migration(s) pending`);
      return 'schema current';
    }, 'run `jobtally migrate` (start does it too)'),
  ]);
}

/** Redis settings BullMQ depends on: evicting keys loses jobs, no persistence loses queues on restart. */
export async function redisSettingsChecks(connection: RedisConnection): Promise<HealthCheck[]> {
  const info = await connection.info('persistence');
  const [, policy] = (await connection.config('GET', 'maxmemory-policy')) as [string, string];
  const aof = /aof_enabled:1/.test(info);
  const rdb = /rdb_last_save_time:\d+/.test(info) && !/rdb_saves:0\b/.test(info);
  return [
    {
      name: 'redis maxmemory-policy',
      ok: policy === 'noeviction',
      detail: policy,
      advice: policy === 'noeviction' ? undefined : 'set maxmemory-policy noeviction: any other policy can silently drop queued jobs',
    },
    {
      name: 'redis persistence',
      ok: aof,
      detail: aof ? 'AOF on' : rdb ? 'RDB snapshots only' : 'none',
      advice: aof ? undefined : 'enable appendonly yes so queued and scheduled jobs survive a Redis restart',
    },
  ];
}
