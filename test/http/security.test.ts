import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import { hashPassword } from '../../src/http/passwords.js';
import type { WebServer } from '../../src/http/server.js';
import { ALL_QUEUE_NAMES, QUEUE_NAMES } from '../../src/queues/names.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { basic, bullBoardWrites, PASSWORDS, Session, startHarnessWeb, webUsersConfig } from '../support/web.js';

let harness: Harness;
let web: WebServer;
let failedJobId: string;
const spa = scriptedSource('SPA', [100]);
const operator = basic('otto', PASSWORDS.operator);

beforeAll(async () => {
  harness = await createHarness(await webUsersConfig({ maxFailedLogins: 3 }));
  harness.startWorkers([spa, scriptedSource('UPCTM', [200])]);
  web = await startHarnessWeb(harness);
  // A failed run leaves failed fetch jobs: real targets for Bull Board's job actions.
  spa.script([new SourceUnavailableError('SPA', 'HTTP 404', { transient: false })]);
  const failed = await harness.producer.enqueueRun({ trigger: 'manual' });
  await waitForRunFinished(harness.runs, failed.name, { timeoutMs: 15_000, intervalMs: 20 });
  spa.script([100]);
  failedJobId = `${failed.name}.SPA`;
});
afterAll(async () => {
  await web.close();
  await harness.close();
});

async function loggedIn(name: 'vera' | 'otto', baseUrl = web.url): Promise<Session> {
  const session = new Session(baseUrl);
  expect((await session.login(name, name === 'vera' ? PASSWORDS.viewer : PASSWORDS.operator)).status).toBe(303);
  return session;
}

/** Everything a Bull Board write could change, to prove a refused one changed nothing. */
async function queueState(): Promise<string> {
  const queues = ALL_QUEUE_NAMES.map((name) => harness.queueSet.queues[name]);
  return JSON.stringify(await Promise.all(queues.map(async (queue) => [queue.name, await queue.isPaused(), await queue.getJobCounts(), await queue.getGlobalConcurrency(), await queue.getJobSchedulersCount()])));
}

describe('Bull Board writes', () => {
  it('are refused (403, nothing changes) for viewers, cross-origin, same-site-other-port and origin-less requests, on every endpoint', async () => {
    const writes = bullBoardWrites({ queueName: QUEUE_NAMES.fetch, jobId: failedJobId, queueStatus: 'failed', schedulerId: 'none' });
    expect(writes.length).toBeGreaterThanOrEqual(20);
    const viewer = await loggedIn('vera');
    const operatorSession = await loggedIn('otto');
    const self = new URL(web.url);
    const otherPort = `${self.protocol}//${self.hostname}:${Number(self.port) + 1}`;
    const before = await queueState();
    const json = { 'content-type': 'application/json' };
    const cases = [
      { who: 'viewer, same origin', session: viewer, headers: { ...json, origin: self.origin, 'sec-fetch-site': 'same-origin' } },
      { who: 'operator, cross-site', session: operatorSession, headers: { ...json, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } },
      { who: 'operator, Origin only, cross-site', session: operatorSession, headers: { ...json, origin: 'https://evil.example' } },
      { who: 'operator, same site other port', session: operatorSession, headers: { ...json, origin: otherPort, 'sec-fetch-site': 'same-site' } },
      { who: 'operator, form from another port', session: operatorSession, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: otherPort } },
      { who: 'operator, no origin at all', session: operatorSession, headers: json },
    ];
    for (const { method, path } of writes) {
      for (const { who, session, headers } of cases) {
        const body = headers['content-type'] === 'application/json' ? JSON.stringify({ name: 'evil', data: {}, concurrency: 1 }) : 'name=evil&data=%7B%7D';
        const response = await session.request(path, { method, headers, body });
        expect(response.status, `${who}: ${method} ${path}`).toBe(403);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      }
    }
    expect(await queueState()).toBe(before);
    expect(await harness.queueSet.queues[QUEUE_NAMES.fetch].getJob(failedJobId)).toBeDefined();
  });

  it('pass for an operator on the same origin, as Bull Board UI sends them', async () => {
    const operatorSession = await loggedIn('otto');
    const headers = { 'content-type': 'application/json', origin: new URL(web.url).origin, 'sec-fetch-site': 'same-origin' };
    const queue = harness.queueSet.queues[QUEUE_NAMES.maintenance];
    expect((await operatorSession.request(`/admin/queues/api/queues/${queue.name}/pause`, { method: 'PUT', headers })).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await operatorSession.request(`/admin/queues/api/queues/${queue.name}/resume`, { method: 'PUT', headers: { 'content-type': 'application/json', origin: new URL(web.url).origin } })).status).toBe(200);
    expect(await queue.isPaused()).toBe(false);
  });
});

describe('logout', () => {
  it('works from every page and ends the session on the server', async () => {
    const run = await harness.producer.enqueueRun({ trigger: 'manual' });
    await waitForRunFinished(harness.runs, run.name, { timeoutMs: 15_000, intervalMs: 20 });
    for (const page of ['/runs', '/runs/new', `/runs/${run.name}`, '/totals', '/insight', '/audit', '/runs/20200101000000']) {
      const session = await loggedIn('otto');
      const text = await (await session.request(page)).text();
      const token = /<form method="post" action="\/logout"[^>]*><input type="hidden" name="_csrf" value="([^"]*)">/.exec(text)?.[1];
      expect(token, `${page} has a logout form with a token`).toMatch(/.{16,}/);
      const oldCookie = session.cookies.get('jt_session') ?? '';
      const logout = await session.form('/logout', { _csrf: token ?? '' });
      expect(logout.status, page).toBe(303);
      expect(logout.headers.get('location')).toBe('/login');
      const replay = new Session(web.url);
      replay.cookies.set('jt_session', oldCookie);
      expect((await replay.request('/runs')).status, `the old cookie no longer opens /runs (${page})`).toBe(303);
      expect((await replay.request('/admin/queues/api/queues')).status, 'nor Bull Board').toBe(303);
    }
  });

  it('ends every session of a user whose password changed, and only theirs', async () => {
    // Both web roles share a session secret, as a deployment across restarts does.
    const web = { ...harness.config.web, sessionSecret: new Secret('a-session-secret-of-32-characters', 'test') };
    const before = await startHarnessWeb({ ...harness, config: { ...harness.config, web } });
    const users = await Promise.all(web.users.map(async (user) => (user.name === 'vera' ? { ...user, passwordHash: await hashPassword('a-new-password-2') } : user)));
    // The same Redis, and vera's new password hash in the config: the web role restarted after `jobtally user add`.
    const after = await startHarnessWeb({ ...harness, config: { ...harness.config, web: { ...web, users } } });
    try {
      const vera = await loggedIn('vera', before.url);
      const otto = await loggedIn('otto', before.url);
      const replay = (session: Session) => {
        const again = new Session(after.url);
        again.cookies.set('jt_session', session.cookies.get('jt_session') ?? '');
        return again.request('/runs');
      };
      expect((await replay(vera)).status).toBe(303);
      expect((await replay(otto)).status).toBe(200);
    } finally {
      await before.close();
      await after.close();
    }
  });
});

describe('redirects after login', () => {
  it('go only to paths of this site', async () => {
    for (const next of ['/\\evil.example', '//evil.example', '/%5Cevil.example', 'https://evil.example', '/%2F%2Fevil.example', '/\t/evil.example']) {
      const session = new Session(web.url);
      const form = await (await session.request(`/login?next=${encodeURIComponent(next)}`)).text();
      expect(form, next).toContain('name="next" value="/runs"');
      const token = /name="_csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
      const login = await session.form('/login', { username: 'vera', password: PASSWORDS.viewer, next, _csrf: token });
      expect(login.headers.get('location'), next).toBe('/runs');
    }
    const session = new Session(web.url);
    const token = await session.csrfFrom('/login');
    const login = await session.form('/login', { username: 'vera', password: PASSWORDS.viewer, next: '/runs?status=error', _csrf: token });
    expect(login.headers.get('location')).toBe('/runs?status=error');
  });
});

describe('hostile JSON', () => {
  const post = (body: string | Buffer, path = '/api/runs') => fetch(`${web.url}${path}`, { method: 'POST', headers: { authorization: operator, 'content-type': 'application/json' }, body });
  const runCount = async () => (await harness.runs.listRuns({}, { limit: 200 })).rows.length;

  it('answers 4xx with the JSON error shape, never a 500, and creates no run', async () => {
    const runsBefore = await runCount();
    const deep = `{"parameters":{"client":"x","deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    const invalidUtf8 = Buffer.concat([Buffer.from('{"idempotencyKey":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const hostile: [string, string | Buffer][] = [
      ['10,000-deep array', deep],
      ['__proto__ key', '{"parameters":{"__proto__":{"isAdmin":true}}}'],
      ['constructor key', '{"parameters":{"constructor":{"prototype":{"x":1}}}}'],
      ['prototype key', '{"parameters":{"prototype":1}}'],
      ['invalid UTF-8 in idempotencyKey', invalidUtf8],
      ['unpaired surrogate', '{"idempotencyKey":"\\ud800"}'],
      ['over-long string', JSON.stringify({ idempotencyKey: 'k', parameters: { client: 'c'.repeat(5000) } })],
      ['not JSON', '{"parameters":'],
    ];
    for (const [what, body] of hostile) {
      const response = await post(body);
      expect(response.status, what).toBeGreaterThanOrEqual(400);
      expect(response.status, what).toBeLessThan(500);
      expect(response.headers.get('content-type') ?? '', `${what}: ${response.status}`).toMatch(/application\/json/);
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code, what).toMatch(/^[A-Z_]+$/);
      expect(answer.error.message, what).not.toBe('');
    }
    expect(await runCount()).toBe(runsBefore);
    const board = await fetch(`${web.url}/admin/queues/api/queues/${QUEUE_NAMES.fetch}/add`, { method: 'POST', headers: { authorization: operator, 'content-type': 'application/json', origin: new URL(web.url).origin }, body: deep });
    expect(board.status, 'Bull Board API too').toBe(400);
    expect(((await board.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });
});

describe('framing', () => {
  it('is refused on every page, Bull Board included', async () => {
    const session = await loggedIn('vera');
    for (const page of ['/login', '/runs', '/totals', '/admin/queues', '/runs/20200101000000']) {
      const response = await session.request(page);
      expect(response.headers.get('x-frame-options'), page).toBe('DENY');
      expect(response.headers.get('content-security-policy'), page).toContain("frame-ancestors 'none'");
    }
  });
});

// Last: they lock this file's address out.
describe('login lockout behind proxies', () => {
  it('believes X-Forwarded-For only when web.trustProxy says so', async () => {
    const trusting = await startHarnessWeb({ ...harness, config: { ...harness.config, web: { ...harness.config.web, trustProxy: 'loopback' } } });
    try {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt++) statuses.push((await fetch(`${trusting.url}/api/runs`, { headers: { authorization: basic('otto', 'wrong'), 'x-forwarded-for': `203.0.113.${attempt}` } })).status);
      expect(statuses, 'behind a trusted proxy, each client address has its own count').toEqual([401, 401, 401, 401]);
    } finally {
      await trusting.close();
    }
  });

  it('keys on the real client address by default: forged X-Forwarded-For gets no fresh tries', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) statuses.push((await fetch(`${web.url}/api/runs`, { headers: { authorization: basic('otto', 'wrong'), 'x-forwarded-for': `198.51.100.${attempt}` } })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const session = new Session(web.url);
    const token = await session.csrfFrom('/login');
    expect((await session.form('/login', { username: 'otto', password: 'wrong', _csrf: token }).then((response) => response.status))).toBe(429);
  });
});
