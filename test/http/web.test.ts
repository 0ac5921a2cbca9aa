import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceUnavailableError } from '../../src/errors.js';
import { waitForRunFinished } from '../../src/flow/wait.js';
import type { WebServer } from '../../src/http/server.js';
import { createHarness, type Harness } from '../support/harness.js';
import { scriptedSource } from '../support/sources.js';
import { basic, PASSWORDS, Session, startHarnessWeb, webUsersConfig } from '../support/web.js';

let harness: Harness;
let web: WebServer;
const spa = scriptedSource('SPA', [100]);
const upctm = scriptedSource('UPCTM', [200]);
const operator = basic('otto', PASSWORDS.operator);
const viewer = basic('vera', PASSWORDS.viewer);

beforeAll(async () => {
  harness = await createHarness(await webUsersConfig({ maxFailedLogins: 3 }));
  harness.startWorkers([spa, upctm]);
  web = await startHarnessWeb(harness);
});
afterAll(async () => {
  await web.close();
  await harness.close();
});

function api(path: string, init: RequestInit & { auth?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.auth) headers.set('authorization', init.auth);
  return fetch(`${web.url}${path}`, { ...init, headers, redirect: 'manual' });
}

function postJson(path: string, body: unknown, auth = operator) {
  return api(path, { method: 'POST', auth, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

async function finishedRun(name: string) {
  return waitForRunFinished(harness.runs, name, { timeoutMs: 15_000, intervalMs: 20 });
}

describe('authentication and roles', () => {
  it('asks for credentials: 401 on the API, a redirect to the login form on pages', async () => {
    const response = await api('/api/runs');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const page = await api('/runs?status=error');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fruns%3Fstatus%3Derror');
    expect((await api('/admin/queues')).status).toBe(303);
  });

  it('logs in with a secure session cookie and lets a viewer read but not act', async () => {
    const session = new Session(web.url);
    const login = await session.login('vera', PASSWORDS.viewer);
    expect(login.status).toBe(303);
    const cookie = login.headers.getSetCookie().find((line) => line.startsWith('jt_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect((await session.request('/runs')).status).toBe(200);
    expect((await session.request('/runs/new')).status).toBe(403);
    expect((await session.request('/admin/queues')).status).toBe(200);
    expect((await postJson('/api/runs', {}, viewer)).status).toBe(403);
    expect((await api('/api/runs', { auth: viewer })).status).toBe(200);
  });

  it('refuses to listen beyond loopback with no users', async () => {
    const open = await createHarness({ web: { host: '0.0.0.0', port: 0 } });
    try {
      await expect(startHarnessWeb(open)).rejects.toThrow(/no users configured/);
    } finally {
      await open.close();
    }
  });
});

describe('JSON API', () => {
  it('starts a run (201), reads it back by name and short id, and rejects duplicates of the key', async () => {
    const response = await postJson('/api/runs', { parameters: { client: 'acme' }, idempotencyKey: 'req-1' });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { name: string; id: string };
    expect((await postJson('/api/runs', { parameters: { client: 'acme' }, idempotencyKey: 'req-1' })).status).toBe(200);
    await finishedRun(created.name);
    const byId = (await (await api(`/api/runs/${created.id}`, { auth: viewer })).json()) as { run: { name: string; total: number; status: string }; counts: unknown[]; details: unknown[] };
    expect(byId.run).toMatchObject({ name: created.name, status: 'success', total: 300 });
    expect(byId.counts).toHaveLength(2);
    expect(byId.details.length).toBeGreaterThan(2);
    const metrics = ((await (await api(`/api/runs/${created.id}`, { auth: viewer })).json()) as { metrics: { source: string | null; metric: string; rule: string | null; value: number }[] }).metrics;
    expect(metrics).toContainEqual({ source: null, metric: 'job_executions', rule: 'sum', value: 300 });
    expect(metrics).toContainEqual({ source: 'SPA', metric: 'job_executions', rule: null, value: 100 });
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const page = await (await session.request(`/runs/${created.name}`)).text();
    expect(page).toMatch(/<table id="metrics">.*<th class="num">SPA<\/th><th class="num">UPCTM<\/th>/s);
    expect(page).toMatch(/<tr data-metric="job_executions"><td>job executions<\/td><td>sum<\/td><td class="num">300<\/td><td class="num">100<\/td><td class="num">200<\/td><\/tr>/);
  });

  it('answers bad input with the right status and field errors', async () => {
    const unprocessable = await postJson('/api/runs', { parameters: { client: '1 bad', date: 'yesterday', sources: ['NOPE'] } });
    expect(unprocessable.status).toBe(422);
    const body = (await unprocessable.json()) as { error: { code: string; fields: { path: string }[] } };
    expect(body.error.code).toBe('INPUT_INVALID');
    expect(body.error.fields.map((field) => field.path).sort()).toEqual(['client', 'date']);
    const unknownSource = (await (await postJson('/api/runs', { parameters: { sources: ['NOPE'] } })).json()) as { error: { fields: { path: string; message: string }[] } };
    expect(unknownSource.error.fields).toEqual([{ path: 'sources', message: 'configured sources are SPA, UPCTM' }]);
    const form = await api('/api/runs', { method: 'POST', auth: operator, body: 'client=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    expect((await api('/api/runs/20200101000000', { auth: viewer })).status).toBe(404);
    expect((await api('/api/runs/not-a-run', { auth: viewer })).status).toBe(404);
    expect((await api('/api/runs?status=bogus', { auth: viewer })).status).toBe(422);
    expect((await api('/api/runs?cursor=garbage', { auth: viewer })).status).toBe(422);
    expect((await api('/api/runs?to=2026-13-45', { auth: viewer })).status, 'a date that does not exist is bad input, not a 500').toBe(422);
    expect((await api('/api/totals?from=2026-02-30', { auth: viewer })).status).toBe(422);
    const tooBig = await postJson('/api/runs', { parameters: { client: 'x'.repeat(40_000) } });
    expect(tooBig.status).toBe(413);
  });

  it('retries only failed runs, as a new linked run', async () => {
    spa.script([new SourceUnavailableError('SPA', 'HTTP 404 from GET /usage/jobs', { transient: false })]);
    const failed = (await (await postJson('/api/runs', {})).json()) as { name: string };
    expect((await finishedRun(failed.name)).status).toBe(2);
    spa.script([100]);
    const retry = await postJson(`/api/runs/${failed.name}/retry`, {});
    expect(retry.status).toBe(201);
    const linked = (await retry.json()) as { name: string; retriedFrom: string };
    expect(linked.retriedFrom).toBe(failed.name);
    await finishedRun(linked.name);
    const again = await postJson(`/api/runs/${linked.name}/retry`, {});
    expect(again.status).toBe(409);
    const detail = (await (await api(`/api/runs/${failed.name}`, { auth: viewer })).json()) as { retries: { name: string }[] };
    expect(detail.retries.map((retry) => retry.name)).toEqual([linked.name]);
  });

  it('pages with opaque keyset cursors, in any sort order', async () => {
    for (let index = 0; index < 5; index++) {
      const created = (await (await postJson('/api/runs', { parameters: { client: 'pager' } })).json()) as { name: string };
      await finishedRun(created.name);
    }
    // One run that never started: null finish, duration and total must page like any value.
    await harness.runs.createRun({ job: 'license-count', client: 'pager', parameters: {}, trigger: 'manual', businessDate: '2026-11-24', firstLine: 'queued' });
    for (const sort of ['created', 'name', 'client', 'job', 'status', 'trigger', 'retries', 'finished', 'duration', 'total']) {
      for (const dir of ['asc', 'desc']) {
        const names: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `/api/runs?client=pager&limit=2&sort=${sort}&dir=${dir}${cursor ? `&cursor=${cursor}` : ''}`;
          const page = (await (await api(query, { auth: viewer })).json()) as { runs: { name: string }[]; nextCursor: string | null };
          names.push(...page.runs.map((run) => run.name));
          cursor = page.nextCursor;
        } while (cursor);
        expect(new Set(names).size, `${sort} ${dir}`).toBe(6);
      }
    }
  });

  it('publishes an OpenAPI document generated from the schemas', async () => {
    const document = (await (await api('/api/openapi.json', { auth: viewer })).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/runs', '/api/runs/{ref}', '/api/runs/{ref}/retry', '/api/totals', '/api/completeness']);
    expect(JSON.stringify(document.paths['/api/runs'])).toContain('"client"');
  });
});

describe('pages', () => {
  it('treats SQL metacharacters in every filter as plain text and caps the page size', async () => {
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const hostile = encodeURIComponent("x' or '1'='1'; drop table job_logs; --");
    for (const field of ['client', 'job']) {
      const response = await session.request(`/runs?${field}=${hostile}`);
      expect(response.status, field).toBe(200);
      expect(await response.text()).toContain('No runs match these filters.');
    }
    const badDate = await session.request(`/runs?from=${hostile}`);
    expect(badDate.status).toBe(422);
    expect(await badDate.text(), 'the page names the bad field').toMatch(/<li><code>from<\/code>: /);
    expect((await session.request(`/runs?sort=${hostile}`)).status).toBe(422);
    const capped = (await (await api('/api/runs?limit=100000', { auth: viewer })).json()) as { runs: unknown[] };
    expect(capped.runs.length).toBeLessThanOrEqual(200);
    expect((await api('/api/runs?limit=1', { auth: viewer }).then((response) => response.json()) as { runs: unknown[] }).runs).toHaveLength(1);
    expect((await harness.runs.listRuns({}, { limit: 1 })).rows).toHaveLength(1);
  });

  it('answers an unknown run with a 404 page', async () => {
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const response = await session.request('/runs/20200101000000');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/run 20200101000000 not found/);
  });

  it('needs a CSRF token for actions, records them in the audit log, and shows field errors', async () => {
    const session = new Session(web.url);
    await session.login('otto', PASSWORDS.operator);
    expect((await session.form('/runs', { client: 'web' })).status).toBe(403);
    const other = new Session(web.url);
    await other.login('otto', PASSWORDS.operator);
    const foreignToken = await other.csrfFrom('/runs/new');
    expect((await session.form('/runs', { client: 'web', _csrf: foreignToken })).status).toBe(403);

    const token = await session.csrfFrom('/runs/new');
    const invalid = await session.form('/runs', { client: 'no spaces allowed', _csrf: token });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toMatch(/id="error-client">use letters/);
    const started = await session.form('/runs', { client: 'web', sources: ['SPA'], _csrf: token });
    expect(started.status).toBe(303);
    const name = started.headers.get('location')?.split('/').pop() ?? '';
    await finishedRun(name);
    const audit = await (await session.request('/audit')).text();
    expect(audit).toContain(name);
    expect(audit).toMatch(/otto<\/td><td>operator<\/td><td>run.start/);
    expect(audit).toMatch(/rejected/);
  });

  it('renders hostile text inert', async () => {
    spa.script([new SourceUnavailableError('SPA', '<script>alert(1)</script><img src=x onerror=alert(2)>', { transient: false })]);
    const failed = (await (await postJson('/api/runs', {})).json()) as { name: string };
    await finishedRun(failed.name);
    spa.script([100]);
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const page = await (await session.request(`/runs/${failed.name}`)).text();
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const list = await (await session.request(`/runs?client=%3Cscript%3Ex%3C/script%3E%27%22`)).text();
    expect(list).toContain('value="&lt;script&gt;x&lt;/script&gt;&#39;&quot;"');
  });

  it('serves totals with a chart against the limit and a CSV download', async () => {
    const session = new Session(web.url);
    await session.login('vera', PASSWORDS.viewer);
    const page = await (await session.request('/totals')).text();
    expect(page).toContain('class="limit-line"');
    expect(page).toMatch(/<rect /);
    const csv = await session.request('/totals.csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toBe('business_date,client,kind,total,limit,peak_365d,peak_date,run');
  });
});

// Last: it locks this test's address out.
describe('failed logins', () => {
  let loggedIn: Session;

  it('counts only failures: many concurrent good requests from one address all pass', async () => {
    loggedIn = new Session(web.url);
    expect((await loggedIn.login('vera', PASSWORDS.viewer)).status).toBe(303);
    expect((await api('/api/runs?limit=1', { auth: viewer })).status).toBe(200);
    const statuses = await Promise.all(Array.from({ length: 30 }, () => api('/api/runs?limit=1', { auth: viewer }).then((response) => response.status)));
    expect(statuses).toEqual(Array.from({ length: 30 }, () => 200));
  });

  it('rate-limits failed logins per address', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) statuses.push((await api('/api/runs', { auth: basic('otto', 'wrong') })).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  it('locks out the login form too, but not a session opened before', async () => {
    expect((await new Session(web.url).login('otto', PASSWORDS.operator)).status).toBe(429);
    expect((await loggedIn.request('/runs')).status).toBe(200);
  });
});
