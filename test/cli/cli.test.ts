import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { runJobtally, startJobtally, type Service } from '../support/cli.js';
import { obliterateQueues, testPrefix, testRedis, TEST_REDIS_URL } from '../support/redis.js';

let database: TestDatabase;
let worker: Service;
let dir: string;
let env: Record<string, string>;
const prefix = testPrefix();

function writeConfig(name: string, body: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ queue: { prefix, backoffMs: 20, attempts: 2 }, ...body }));
  return file;
}

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  dir = mkdtempSync(path.join(tmpdir(), 'jt-cli-'));
  writeConfig('jobtally.config.yaml', {
    limit: 1000,
    sources: [
      { name: 'SPA', type: 'static', count: 400 },
      { name: 'UPCTM', type: 'static', count: 500 },
    ],
  });
  env = { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL, JOBTALLY_DATA_DIR: path.join(dir, 'data'), SPA_KEY: 'cli-secret-key-123' };
  worker = startJobtally(['start', '--role', 'worker'], { env, cwd: dir });
  await worker.waitForOutput(/jobtally is running \(worker\)/);
}, 90_000);

afterAll(async () => {
  worker?.child.kill('SIGKILL');
  const connection = testRedis();
  await obliterateQueues(prefix, connection);
  connection.disconnect();
  await database?.drop();
});

// Each step is a real CLI process (tsx + Node start-up): on a busy 2-core machine a test of five
// steps can take well over the default 30 s without anything being wrong.
describe('jobtally CLI', { timeout: 120_000 }, () => {
  it('run --wait --json prints counts and total and exits 0', async () => {
    const result = await runJobtally(['run', '--wait', '--json'], { env, cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({ status: 'success', counts: { SPA: 400, UPCTM: 500 }, total: 900, limit: 1000 });
    expect(output.name).toMatch(/^\d{14}(_\d+)?$/);
  });

  it('run --wait exits 1 when the run fails, and retry makes a linked run', async () => {
    const over = writeConfig('over.json', { limit: 800, sources: [{ name: 'SPA', type: 'static', count: 400 }, { name: 'UPCTM', type: 'static', count: 500 }] });
    const failed = await runJobtally(['--config', over, 'run', '--wait'], { env, cwd: dir });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed: total 900 exceeds the license limit 800 by 100/);
    const name = /run (\d{14}(?:_\d+)?) queued/.exec(failed.stdout)?.[1] ?? '';
    const retried = await runJobtally(['retry', name, '--wait', '--json'], { env, cwd: dir });
    expect(retried.code, retried.stderr).toBe(0);
    const show = await runJobtally(['runs', 'show', name, '--json'], { env, cwd: dir });
    const detail = JSON.parse(show.stdout) as { retries: { name: string }[]; status: string };
    expect(detail.status).toBe('error');
    expect(detail.retries).toHaveLength(1);
  });

  it('backfill fills the missing dates once, a second backfill does nothing, and a source that cannot count past dates is refused', async () => {
    const clients = writeConfig('clients.json', {
      limit: 1000,
      clients: [
        { name: 'acme', sources: ['SPA', 'UPCTM'] },
        { name: 'legacy', sources: ['SPA', 'LEGACY'] },
      ],
      sources: [
        { name: 'SPA', type: 'static', count: 400 },
        { name: 'UPCTM', type: 'static', count: 500 },
        { name: 'LEGACY', type: 'http-json', url: 'http://127.0.0.1:9/count', path: 'count' },
      ],
    });
    const range = ['--from', '2026-01-04', '--to', '2026-01-06'];
    const first = await runJobtally(['--config', clients, 'backfill', '--client', 'acme', ...range], { env, cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/2026-01-04 {2}queued run \d{14}/);
    expect(first.stdout).toMatch(/2026-01-06 {2}filled: 900 \(run \d{14}/);
    expect(first.stdout).toContain('backfill acme 2026-01-04..2026-01-06: 3 date(s), 3 filled, 0 skipped (already had a figure), 0 failed');
    const second = await runJobtally(['--config', clients, 'backfill', '--client', 'acme', ...range, '--json'], { env, cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const lines = second.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-1)).toEqual({ summary: { client: 'acme', from: '2026-01-04', to: '2026-01-06', dates: 3, filled: 0, skipped: 3, failed: 0 } });
    const listed = JSON.parse((await runJobtally(['--config', clients, 'runs', 'list', '--client', 'acme', '--json'], { env, cwd: dir })).stdout) as { businessDate: string }[];
    expect(listed.map((run) => run.businessDate).sort()).toEqual(['2026-01-04', '2026-01-05', '2026-01-06']);
    const refused = await runJobtally(['--config', clients, 'backfill', '--client', 'legacy', ...range], { env, cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/client legacy cannot be backfilled: source LEGACY \(http-json\) cannot count a past business date/);
    const unreal = await runJobtally(['--config', clients, 'backfill', '--client', 'acme', '--from', '2026-02-30', '--to', '2026-03-01'], { env, cwd: dir });
    expect(unreal.code, 'not read as March 2').toBe(2);
    expect(unreal.stderr).toContain('--from 2026-02-30 is not a date');
  });

  it('a database without the schema is reported with what to run, not as raw SQL', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const list = await runJobtally(['runs', 'list'], { env: { ...env, DATABASE_URL: empty.url }, cwd: dir });
      expect(list.code).toBe(3);
      expect(list.stderr).toMatch(/^error: database .+ is not up to date for this version of jobtally: \d+ migration\(s\) not applied \(run `jobtally migrate`/);
      const migrate = await runJobtally(['migrate'], { env: { ...env, DATABASE_URL: empty.url }, cwd: dir });
      expect(migrate.code, migrate.stderr).toBe(0);
      const after = await runJobtally(['runs', 'list', '--json'], { env: { ...env, DATABASE_URL: empty.url }, cwd: dir });
      expect(after.code, after.stderr).toBe(0);
      expect(JSON.parse(after.stdout)).toEqual([]);
    } finally {
      await empty.drop();
    }
  });

  it('runs list and runs show accept names and short ids', async () => {
    const list = await runJobtally(['runs', 'list', '--json', '--limit', '5'], { env, cwd: dir });
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { name: string; id: string }[];
    expect(rows.length).toBeGreaterThan(0);
    const show = await runJobtally(['runs', 'show', rows[0]!.id], { env, cwd: dir });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`run ${rows[0]!.name}`);
    expect(show.stdout).toMatch(/\nmetrics:\nMETRIC\s+RULE\s+RUN\s+SPA\s+UPCTM\n[- ]+\njob_executions\s+/);
    const table = await runJobtally(['runs', 'list', '--status', 'success'], { env, cwd: dir });
    expect(table.stdout).toMatch(/^NAME\s+ID\s+CLIENT\s+STATUS/);
  });

  it('an unknown run or bad input exits 2 with one clear line', async () => {
    const unknown = await runJobtally(['runs', 'show', '20200101000000'], { env, cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('error: run 20200101000000 not found (list runs with `jobtally runs list`)');
    const bad = await runJobtally(['runs', 'show', 'yesterday'], { env, cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"yesterday" is not a run name or id/);
    const badDate = await runJobtally(['run', '--date', '2025-02-31'], { env, cwd: dir });
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).not.toMatch(/\n\s+at /);
    expect(badDate.stderr.trim()).toBe('error: invalid parameters for license-count\n  date: use a calendar date as YYYY-MM-DD');
    const badSince = await runJobtally(['runs', 'list', '--since', '2026-02-30'], { env, cwd: dir });
    expect(badSince.code).toBe(2);
    expect(badSince.stderr.trim(), 'not read as March 2').toBe('error: --since 2026-02-30 is not a calendar date\n  --since: use a date (YYYY-MM-DD) or how long ago (30m, 24h, 7d)');
    const badStatus = await runJobtally(['runs', 'list', '--status', 'finished'], { env, cwd: dir });
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr.trim(), 'the error says what the flag accepts').toBe('error: unknown status finished\n  --status: use pending, processing, error, success');
  });

  it('config check lists every bad field, exits 2, and never prints secrets', async () => {
    const bad = writeConfig('bad.json', {
      sources: [
        { name: 'SPA', type: 'controlm', endpoint: 'https://ok.example', auth: { apiKey: { env: 'SPA_KEY' } } },
        { name: 'UPCTM', type: 'controlm', endpoint: 'not a url', auth: { apiKey: 'plain-text-key' } },
      ],
    });
    const result = await runJobtally(['--config', bad, 'config', 'check'], { env, cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sources[1].endpoint: Invalid URL');
    expect(result.stderr).toContain('sources[1].auth.apiKey: plaintext secrets are not allowed here');
    expect(result.stderr).not.toContain('plain-text-key');
    const good = writeConfig('good.json', {
      sources: [{ name: 'SPA', type: 'controlm', endpoint: 'https://ok.example/automation-api', auth: { apiKey: { env: 'SPA_KEY' } } }],
      alerts: { channels: [{ name: 'ops', type: 'webhook', url: { env: 'SPA_KEY' }, events: ['run-failed', 'limit-exceeded'] }] },
    });
    const ok = await runJobtally(['--config', good, 'config', 'check', '--json'], { env, cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain('cli-secret-key-123');
    const summary = await runJobtally(['--config', good, 'config', 'check'], { env, cwd: dir });
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain('\n  alert channel ops: webhook, run-failed, limit-exceeded\n');
    expect(summary.stdout).toContain('\n  web http://127.0.0.1:3000, no users: open to this machine only\n');
    expect(summary.stdout).not.toContain('cli-secret-key-123');
  });

  it('schedule set, list and remove', async () => {
    const set = await runJobtally(['schedule', 'set', 'nightly', '--cron', '0 2 * * *', '--tz', 'Europe/Paris'], { env, cwd: dir });
    expect(set.code, set.stderr).toBe(0);
    const list = await runJobtally(['schedule', 'list', '--json'], { env, cwd: dir });
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'nightly', cron: '0 2 * * *', tz: 'Europe/Paris', origin: 'cli' }));
    expect((await runJobtally(['schedule', 'remove', 'nightly'], { env, cwd: dir })).code).toBe(0);
    expect((await runJobtally(['schedule', 'remove', 'nightly'], { env, cwd: dir })).code).toBe(2);
    const invalid = await runJobtally(['schedule', 'set', 'x', '--every', 'often'], { env, cwd: dir });
    expect(invalid.code).toBe(2);
  });

  it('an unreachable Redis or Postgres is one clear line and exit 3', async () => {
    const noRedis = await runJobtally(['run'], { env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' }, cwd: dir });
    expect(noRedis.code).toBe(3);
    expect(noRedis.stderr.trim().split('\n')).toHaveLength(1);
    expect(noRedis.stderr).toMatch(/Redis \(redis:\/\/127\.0\.0\.1:1\) is not serving: connect ECONNREFUSED/);
    const noPostgres = await runJobtally(['runs', 'list'], { env: { ...env, DATABASE_URL: 'postgres://jt:pw-secret@127.0.0.1:1/x' }, cwd: dir });
    expect(noPostgres.code).toBe(3);
    expect(noPostgres.stderr).toMatch(/Postgres at postgres:\/\/jt:\*\*\*@127\.0\.0\.1:1\/x is not reachable/);
    expect(noPostgres.stderr).not.toContain('pw-secret');
  });

  it('says at once when no worker is running to take a queued run', async () => {
    const lonelyPrefix = testPrefix();
    const lonely = writeConfig('lonely.json', { queue: { prefix: lonelyPrefix }, sources: [{ name: 'SPA', type: 'static', count: 1 }] });
    try {
      const queued = await runJobtally(['--config', lonely, 'run'], { env, cwd: dir });
      expect(queued.code, queued.stderr).toBe(0);
      expect(queued.stderr).toContain(`warning: no worker is running for queue prefix ${lonelyPrefix}: the run waits until one starts`);
      const served = await runJobtally(['run', '--wait'], { env, cwd: dir });
      expect(served.code, served.stderr).toBe(0);
      expect(served.stderr, 'the test worker listens on the default config').not.toContain('no worker');
    } finally {
      const connection = testRedis();
      await obliterateQueues(lonelyPrefix, connection);
      connection.disconnect();
    }
  });

  it('SIGTERM stops the worker cleanly with exit 0', async () => {
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.output()).toMatch(/stopped cleanly/);
  });
});
