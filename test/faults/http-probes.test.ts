import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/http/passwords.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { obliterateQueues, TEST_REDIS_URL, testPrefix, testRedis } from '../support/redis.js';
import { basic, PASSWORDS, Session } from '../support/web.js';
import { spawnJobtally, writeConfig, type JobtallyProcess } from './support/process.js';
import { freePort } from './support/redis-server.js';
import { record, writeSummary } from './support/results.js';

let database: TestDatabase;
let dir: string;
let web: JobtallyProcess;
let url: string;
const prefix = testPrefix();
const probes: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-probes-'));
  const port = await freePort();
  const config = await writeConfig(dir, 'web.json', {
    sources: [{ name: 'SPA', type: 'static', count: 1 }],
    schedules: [],
    queue: { prefix },
    web: {
      port,
      maxFailedLogins: 10,
      users: [
        { name: 'vera', role: 'viewer', passwordHash: await hashPassword(PASSWORDS.viewer) },
        { name: 'otto', role: 'operator', passwordHash: await hashPassword(PASSWORDS.operator) },
      ],
    },
  });
  web = spawnJobtally(['start', '--role', 'web', 'worker', '--config', config], { DATABASE_URL: database.url, REDIS_URL: TEST_REDIS_URL });
  await web.waitForOutput(/web role listening/, 60_000);
  url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  web.child.kill('SIGTERM');
  await web.exited;
  // The operator's POST /api/runs queued a run: its jobs must not outlive this file.
  const redis = testRedis();
  let leftKeys: string[];
  try {
    await obliterateQueues(prefix, redis);
    leftKeys = await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
  record('9. HTTP security probes (real web role process)', probes.join('; '));
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
  expect(leftKeys).toEqual([]);
});

const get = (route: string, auth?: string) => fetch(`${url}${route}`, { redirect: 'manual', headers: auth ? { authorization: auth } : {} });

describe('fault suite: HTTP probes', () => {
  it('9. refuses the unauthenticated, the unauthorised and the forged', async () => {
    expect((await get('/api/runs')).status).toBe(401);
    expect((await get('/runs')).status).toBe(303);
    expect((await get('/admin/queues/api/queues')).status).toBe(303);
    probes.push('no auth: API 401, pages and Bull Board redirect to login');

    const viewer = basic('vera', PASSWORDS.viewer);
    const operator = basic('otto', PASSWORDS.operator);
    const start = (auth: string) => fetch(`${url}/api/runs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{}' });
    expect((await start(viewer)).status).toBe(403);
    expect((await start(operator)).status).toBe(201);
    const session = new Session(url);
    await session.login('vera', PASSWORDS.viewer);
    const boardAction = await session.request('/admin/queues/api/queues/fetch/clean/completed', { method: 'PUT' });
    expect(boardAction.status).toBeGreaterThanOrEqual(400);
    probes.push(`viewer: POST /api/runs 403, Bull Board clean ${boardAction.status}; operator: 201`);

    const operatorSession = new Session(url);
    await operatorSession.login('otto', PASSWORDS.operator);
    expect((await operatorSession.form('/runs', { client: 'x' })).status).toBe(403);
    const other = new Session(url);
    await other.login('vera', PASSWORDS.viewer);
    expect((await operatorSession.form('/runs', { client: 'x', _csrf: await other.csrfFrom('/login') })).status).toBe(403);
    probes.push('CSRF missing or from another session: 403');

    for (const hostile of ["' or 1=1 --", '"><script>alert(1)</script>', '%00', '\\\\', ';drop table job_logs;']) {
      const response = await session.request(`/runs?client=${encodeURIComponent(hostile)}&job=${encodeURIComponent(hostile)}`);
      expect(response.status).toBe(200);
      expect(await response.text()).not.toContain('<script>alert(1)</script>');
    }
    probes.push('SQL metacharacters and XSS in every filter: 200, escaped, harmless');

    for (const traversal of ['..%2F..%2Fetc%2Fpasswd', '....//....//etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '20261124000000%00']) {
      expect((await session.request(`/runs/${traversal}`)).status, traversal).toBe(404);
      expect((await get(`/api/runs/${traversal}`, viewer)).status, traversal).toBe(404);
    }
    const headers = (await session.request('/runs')).headers;
    for (const header of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'strict-transport-security', 'referrer-policy']) expect(headers.get(header), header).not.toBeNull();
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(headers.get('x-powered-by')).toBeNull();
    probes.push('path traversal in run ids: 404; helmet security headers and a script-src self CSP on every page');

    const huge = await fetch(`${url}/api/runs`, { method: 'POST', headers: { authorization: operator, 'content-type': 'application/json' }, body: JSON.stringify({ parameters: { client: 'x'.repeat(100_000) } }) });
    expect(huge.status).toBe(413);
    probes.push('100 kB body: 413');

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) statuses.push((await get('/api/runs', basic('otto', `wrong-${attempt}`))).status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.slice(10).every((status) => status === 429)).toBe(true);
    probes.push('20 wrong passwords: 10 × 401 then 429');
  });
});
