import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/http/passwords.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { Queue } from 'bullmq';
import { ALL_QUEUE_NAMES, QUEUE_NAMES } from '../../src/queues/names.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { obliterateQueues, storedText, TEST_REDIS_URL, testPrefix, testRedis } from '../support/redis.js';
import { basic, bullBoardWrites, PASSWORDS, Session } from '../support/web.js';
import { spawnJobtally, writeConfig, type JobtallyProcess } from './support/process.js';
import { freePort } from './support/redis-server.js';
import { record, writeSummary } from './support/results.js';

let database: TestDatabase;
let dir: string;
let web: JobtallyProcess;
let url: string;
let legacy: FakeHttpServer;
const prefix = testPrefix();
const probes: string[] = [];
/** A source's token, echoed back by its server in every error; and a password in REDIS_URL. */
const LEGACY_TOKEN = 'legacy-token-probe-6a1f0d';
const REDIS_PASSWORD = 'redis-pass-probe-e42b19';

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'jobtally-probes-'));
  legacy = await FakeHttpServer.start();
  legacy.route('GET', '/count', (request) => ({ status: 503, body: { errors: [{ message: `token ${String(request.headers.authorization)} is over quota` }] } }));
  const port = await freePort();
  const config = await writeConfig(dir, 'web.json', {
    sources: [
      { name: 'SPA', type: 'static', count: 1 },
      { name: 'LEGACY', type: 'http-json', url: `${legacy.url}/count`, path: 'count', secretHeaders: { Authorization: { env: 'LEGACY_TOKEN' } } },
    ],
    schedules: [],
    queue: { prefix, attempts: 2, backoffMs: 10 },
    web: {
      port,
      maxFailedLogins: 10,
      users: [
        { name: 'vera', role: 'viewer', passwordHash: await hashPassword(PASSWORDS.viewer) },
        { name: 'otto', role: 'operator', passwordHash: await hashPassword(PASSWORDS.operator) },
      ],
    },
  });
  const redisUrl = new URL(TEST_REDIS_URL);
  redisUrl.username = 'default';
  redisUrl.password = REDIS_PASSWORD;
  web = spawnJobtally(['start', '--role', 'web', 'worker', '--config', config], { DATABASE_URL: database.url, REDIS_URL: redisUrl.toString(), LEGACY_TOKEN });
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
    await legacy.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
  record('9. HTTP security probes (real web role process)', probes.join('; '));
  console.info(`\n${await writeSummary('test-artifacts/faults.md')}`);
  expect(leftKeys).toEqual([]);
});

const get = (route: string, auth?: string) => fetch(`${url}${route}`, { redirect: 'manual', headers: auth ? { authorization: auth } : {} });

const operator = basic('otto', PASSWORDS.operator);

async function loggedIn(name: 'vera' | 'otto'): Promise<Session> {
  const session = new Session(url);
  expect((await session.login(name, name === 'vera' ? PASSWORDS.viewer : PASSWORDS.operator)).status).toBe(303);
  return session;
}

async function queueState(): Promise<string> {
  const connection = testRedis();
  try {
    const states = [];
    for (const name of ALL_QUEUE_NAMES) {
      const queue = new Queue(name, { connection, prefix });
      states.push([name, await queue.isPaused(), await queue.getJobCounts(), await queue.getGlobalConcurrency()]);
      await queue.close();
    }
    return JSON.stringify(states);
  } finally {
    connection.disconnect();
  }
}

async function runNames(): Promise<string[]> {
  const answer = (await (await get('/api/runs?limit=200', operator)).json()) as { runs: { name: string; status: string }[] };
  return answer.runs.map((run) => run.name);
}

describe('fault suite: HTTP probes', () => {
  it('9a. keeps secrets out of job records, logs and the banner', async () => {
    const started = await fetch(`${url}/api/runs`, { method: 'POST', headers: { authorization: operator, 'content-type': 'application/json' }, body: '{}' });
    const { name } = (await started.json()) as { name: string };
    await expect.poll(async () => ((await (await get(`/api/runs/${name}`, operator)).json()) as { run: { status: string } }).run.status, { timeout: 30_000 }).toBe('error');
    await expect.poll(() => legacy.requests.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const redis = testRedis();
    const stored = await storedText(prefix, redis).finally(() => redis.disconnect());
    expect(stored).toContain('token [redacted] is over quota');
    expect(stored).not.toContain(LEGACY_TOKEN);
    const viewerBoard = await (await loggedIn('vera')).request(`/admin/queues/api/queues/${QUEUE_NAMES.fetch}/${encodeURIComponent(`${name}.LEGACY`)}`);
    expect(viewerBoard.status).toBe(200);
    expect(await viewerBoard.text()).not.toContain(LEGACY_TOKEN);
    expect(JSON.stringify(await (await get(`/api/runs/${name}`, operator)).json())).not.toContain(LEGACY_TOKEN);
    expect(web.output()).toMatch(/redis {5}redis:\/\/default:\*\*\*@/);
    for (const secret of [LEGACY_TOKEN, REDIS_PASSWORD]) expect(web.output()).not.toContain(secret);
    probes.push('a source token echoed in retried and final errors: absent from Redis job records, Bull Board, the API and logs; banner masks the REDIS_URL password');
  });

  it('9b. refuses Bull Board writes from viewers, other origins and other ports', async () => {
    const failedJob = (await runNames()).map((name) => `${name}.LEGACY`)[0] ?? 'none';
    const writes = bullBoardWrites({ queueName: QUEUE_NAMES.fetch, jobId: failedJob, queueStatus: 'failed', schedulerId: 'none' });
    const viewer = await loggedIn('vera');
    const operatorSession = await loggedIn('otto');
    const otherPort = `http://127.0.0.1:${Number(new URL(url).port) + 1}`;
    const before = await queueState();
    const cases = [
      { session: viewer, headers: { 'content-type': 'application/json', origin: url, 'sec-fetch-site': 'same-origin' } },
      { session: operatorSession, headers: { 'content-type': 'application/json', origin: 'https://evil.example' } },
      { session: operatorSession, headers: { 'content-type': 'application/json', origin: otherPort, 'sec-fetch-site': 'same-site' } },
      { session: operatorSession, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: otherPort } },
      { session: operatorSession, headers: { 'content-type': 'application/json' } },
    ];
    const statuses = new Set<number>();
    for (const { method, path: route } of writes) {
      for (const { session, headers } of cases) statuses.add((await session.request(route, { method, headers, body: headers['content-type'] === 'application/json' ? '{"name":"evil","data":{}}' : 'name=evil' })).status);
    }
    expect([...statuses]).toEqual([403]);
    expect(await queueState()).toBe(before);
    const pause = await operatorSession.request(`/admin/queues/api/queues/${QUEUE_NAMES.maintenance}/pause`, { method: 'PUT', headers: { origin: url, 'sec-fetch-site': 'same-origin' } });
    const resume = await operatorSession.request(`/admin/queues/api/queues/${QUEUE_NAMES.maintenance}/resume`, { method: 'PUT', headers: { origin: url, 'sec-fetch-site': 'same-origin' } });
    expect([pause.status, resume.status]).toEqual([200, 200]);
    probes.push(`Bull Board: ${writes.length} write endpoints × (viewer, cross-site, same-site other port, form from other port, no Origin): all 403, queues unchanged; operator same-origin pause/resume 200`);
  });

  it('9c. ends sessions at logout, redirects only within the site, refuses framing', async () => {
    const session = await loggedIn('otto');
    const oldCookie = session.cookies.get('jt_session') ?? '';
    const logout = await session.form('/logout', { _csrf: await session.csrfFrom('/totals') });
    expect(logout.status).toBe(303);
    const replay = new Session(url);
    replay.cookies.set('jt_session', oldCookie);
    expect((await replay.request('/runs')).status).toBe(303);
    expect((await replay.request('/admin/queues/api/queues')).status).toBe(303);
    probes.push('logout from a page: 303, the old cookie opens neither /runs nor Bull Board');

    for (const next of ['/\\evil.example', '//evil.example', '/%5Cevil.example', '/%2F%2Fevil.example']) {
      const attacker = new Session(url);
      const token = await attacker.csrfFrom(`/login?next=${encodeURIComponent(next)}`);
      const login = await attacker.form('/login', { username: 'vera', password: PASSWORDS.viewer, next, _csrf: token });
      expect(login.headers.get('location'), next).toBe('/runs');
    }
    probes.push('login redirects to /\\host, //host and encoded forms: /runs');

    const viewer = await loggedIn('vera');
    for (const page of ['/runs', '/admin/queues', '/login']) {
      const headers = (await viewer.request(page)).headers;
      expect(headers.get('x-frame-options'), page).toBe('DENY');
      expect(headers.get('content-security-policy'), page).toContain("frame-ancestors 'none'");
    }
    probes.push("X-Frame-Options DENY and frame-ancestors 'none' on pages and Bull Board");
  });

  it('9d. answers hostile JSON with a 4xx JSON error and creates nothing', async () => {
    const before = await runNames();
    const bodies: [string, string | Buffer][] = [
      ['10,000-deep array', `{"parameters":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`],
      ['__proto__', '{"parameters":{"__proto__":{"admin":true}}}'],
      ['constructor', '{"parameters":{"constructor":{"prototype":{}}}}'],
      ['invalid UTF-8', Buffer.concat([Buffer.from('{"idempotencyKey":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])],
      ['5,000-character string', JSON.stringify({ idempotencyKey: 'k'.repeat(5000) })],
    ];
    const answers: string[] = [];
    for (const [what, body] of bodies) {
      const response = await fetch(`${url}/api/runs`, { method: 'POST', headers: { authorization: operator, 'content-type': 'application/json' }, body });
      expect(response.status, what).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code, what).toBe('BAD_REQUEST');
      answers.push(`${what} ${response.status}`);
    }
    expect(await runNames()).toEqual(before);
    probes.push(`hostile JSON: ${answers.join(', ')} (JSON error shape), no run created`);
  });

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
    const boardAction = await session.request('/admin/queues/api/queues/fetch/clean/completed', { method: 'PUT', headers: { origin: url } });
    expect(boardAction.status).toBe(403);
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
    // Each with a forged X-Forwarded-For: web.trustProxy is off, so none of them gets fresh tries.
    for (let attempt = 0; attempt < 20; attempt++) statuses.push((await fetch(`${url}/api/runs`, { headers: { authorization: basic('otto', `wrong-${attempt}`), 'x-forwarded-for': `198.51.100.${attempt}` } })).status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.slice(10).every((status) => status === 429)).toBe(true);
    probes.push('20 wrong passwords, each from a forged X-Forwarded-For: 10 × 401 then 429');
  });
});
