import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/persistence/db.js';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createHarness, type Harness } from '../support/harness.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { spawnJobtally, writeConfig, type JobtallyProcess } from './support/process.js';
import { record, writeSummary } from './support/results.js';

let harness: Harness;
let dir: string;
const processes: JobtallyProcess[] = [];

beforeAll(async () => {
  harness = await createHarness();
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-faults-'));
});
afterAll(async () => {
  for (const process of processes) process.child.kill('SIGKILL');
  await harness.close();
  await rm(dir, { recursive: true, force: true });
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
});

/** A worker process on this file's database and queue prefix, with slowed sources. */
async function worker(name: string, options: { delayMs: number; graceMs?: number }): Promise<JobtallyProcess> {
  const config = await writeConfig(dir, `${name}.json`, {
    sources: [
      { name: 'SPA', type: 'static', count: 20_000, delayMs: options.delayMs },
      { name: 'UPCTM', type: 'static', count: 28_000, delayMs: options.delayMs },
    ],
    queue: { prefix: harness.config.queue.prefix, lockDurationMs: 3000, stalledIntervalMs: 1000, attempts: 3, backoffMs: 100, shutdownGraceMs: options.graceMs ?? 10_000 },
    schedules: [],
  });
  const process = spawnJobtally(['start', '--role', 'worker', '--config', config], { DATABASE_URL: harness.database.url, REDIS_URL: TEST_REDIS_URL });
  processes.push(process);
  await process.waitForOutput(/"msg":"started"/, 60_000);
  return process;
}

async function enqueue(count: number): Promise<string[]> {
  const names: string[] = [];
  for (let index = 0; index < count; index++) names.push((await harness.producer.enqueueRun({ trigger: 'manual' })).name);
  return names;
}

async function statuses(names: string[]): Promise<number[]> {
  return Promise.all(names.map(async (name) => (await harness.runs.findByName(name))?.status ?? -1));
}

async function allFinished(names: string[], timeoutMs: number): Promise<number[]> {
  return waitFor(`${names.length} runs to finish`, async () => {
    const current = await statuses(names);
    return current.every((status) => status === RUN_STATUS.success || status === RUN_STATUS.error) ? current : undefined;
  }, timeoutMs, 100);
}

async function totalsPerRun(names: string[]): Promise<number[]> {
  const rows = await queryRows<{ name: string; totals: number; counts: number }>(
    harness.database.db,
    sql`select j.name, (select count(*)::int from totals t where t.job_log_id = j.id) as totals, (select count(*)::int from source_counts c where c.job_log_id = j.id) as counts
        from job_logs j where j.name in (${sql.join(names.map((name) => sql`${name}`), sql`, `)})`,
  );
  return rows.map((row) => row.totals * 10 + row.counts);
}

describe('fault suite: processes', () => {
  it('1. a worker killed with SIGKILL mid-run: another worker recovers every run, each counted once', async () => {
    const first = await worker('kill-a', { delayMs: 1500 });
    const names = await enqueue(20);
    await waitFor('runs to be processing', async () => (await statuses(names)).includes(RUN_STATUS.processing) || undefined, 20_000, 50);
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const recovering = await worker('kill-b', { delayMs: 100 });
    const final = await allFinished(names, 90_000);
    const recoverySeconds = (performance.now() - killedAt) / 1000;
    // Stopped so the next scenario's runs are worked only by the workers it starts.
    recovering.child.kill('SIGTERM');
    await recovering.exited;
    expect(final.every((status) => status === RUN_STATUS.success)).toBe(true);
    expect(await totalsPerRun(names)).toEqual(names.map(() => 12));
    record('1. worker killed (SIGKILL) mid-run', `20/20 runs success, 1 totals row + 2 counts each, all recovered ${recoverySeconds.toFixed(1)} s after the kill`);
  });

  it('4. SIGTERM finishes active jobs and exits 0; a second signal exits at once; no run stays processing', async () => {
    const graceful = await worker('term', { delayMs: 2000, graceMs: 15_000 });
    const names = await enqueue(4);
    await waitFor('runs to be processing', async () => (await statuses(names)).includes(RUN_STATUS.processing) || undefined, 20_000, 50);
    const signalledAt = performance.now();
    graceful.child.kill('SIGTERM');
    const exit = await graceful.exited;
    const stopSeconds = (performance.now() - signalledAt) / 1000;
    expect(exit.code).toBe(0);
    expect(graceful.output()).toMatch(/stopped cleanly/);

    const stubborn = await worker('term-twice', { delayMs: 60_000, graceMs: 60_000 });
    const slow = await enqueue(1);
    await waitFor('the slow run to be processing', async () => (await statuses(slow)).includes(RUN_STATUS.processing) || undefined, 20_000, 50);
    stubborn.child.kill('SIGTERM');
    await stubborn.waitForOutput(/shutting down/);
    const secondAt = performance.now();
    stubborn.child.kill('SIGTERM');
    const forced = await stubborn.exited;
    const forcedSeconds = (performance.now() - secondAt) / 1000;
    expect(forced.code).toBe(1);
    expect(forcedSeconds).toBeLessThan(5);

    await worker('term-finish', { delayMs: 50 });
    const final = await allFinished([...names, ...slow], 90_000);
    expect(final.every((status) => status === RUN_STATUS.success)).toBe(true);
    record('4. graceful shutdown', `SIGTERM: exit 0 after ${stopSeconds.toFixed(1)} s with active jobs finished; second SIGTERM: exit 1 in ${forcedSeconds.toFixed(1)} s; 5/5 runs success after restart, none left processing`);
  });
});
