import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MissingCountError, SourceAuthError, SourcePartialError, SourceTimeoutError, SourceUnavailableError } from '../../src/errors.js';
import { ControlmSimulator, simulatedJobs } from '../support/sim-controlm.js';
import { fetchContext, SECRET_ENV, sourceFromConfig } from './support.js';

let simulator: ControlmSimulator;

beforeAll(async () => {
  simulator = await ControlmSimulator.start({
    apiKey: SECRET_ENV.CTM_KEY,
    username: 'ops',
    password: SECRET_ENV.CTM_PASSWORD,
    usage: { ctm01: 12_000, ctm02: 8_345 },
    jobs: simulatedJobs(120, 4),
    maxRows: 100_000,
  });
});
afterAll(async () => {
  await simulator.close();
});
afterEach(() => {
  simulator.http.requests.length = 0;
});

function controlm(extra: Record<string, unknown> = {}) {
  return sourceFromConfig({ type: 'controlm', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, ...extra });
}
const login = { auth: { username: 'ops', password: { env: 'CTM_PASSWORD' } } };

describe('controlm source, usage mode', () => {
  it('reads totalJobExecution with the API key header', async () => {
    const result = await controlm().fetchCount(fetchContext());
    expect(result).toMatchObject({ count: 20_345, breakdown: { byServer: { ctm01: 12_000, ctm02: 8_345 }, serverUp: { ctm01: 1 } }, note: '2 servers; servers: ctm01 Up 9.0.21.200' });
    expect(simulator.http.requests[0]?.headers['x-api-key']).toBe(SECRET_ENV.CTM_KEY);
  });

  it('logs in for a token and reuses it across fetches', async () => {
    const source = controlm(login);
    await source.fetchCount(fetchContext());
    await source.fetchCount(fetchContext());
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(1);
    expect(simulator.http.requestsTo('/automation-api/usage/jobs')[1]?.headers.authorization).toMatch(/^Bearer token-/);
  });

  it('logs in again once when the session expired', async () => {
    const source = controlm(login);
    await source.fetchCount(fetchContext());
    simulator.expireSessions();
    await expect(source.fetchCount(fetchContext())).resolves.toMatchObject({ count: 20_345 });
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(2);
  });

  it('fails with an auth error naming the server message on a wrong password', async () => {
    const source = controlm({ auth: { username: 'ops', password: { env: 'CTM_KEY' } } });
    const error = await source.fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceAuthError);
    expect((error as Error).message).toContain('Login failed');
    expect((error as SourceAuthError).transient).toBe(false);
  });

  it('fails with an auth error on a wrong API key (401)', async () => {
    const source = sourceFromConfig({ type: 'controlm', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_PASSWORD' } } });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceAuthError);
  });

  it('treats a 500 as transient and a 404 as permanent', async () => {
    simulator.script('GET', 'usage/jobs', [{ status: 500, body: { errors: [{ message: 'database is down' }] } }, { status: 404, raw: 'Not Found' }]);
    const first = await controlm().fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(SourceUnavailableError);
    expect((first as SourceUnavailableError).transient).toBe(true);
    expect((first as Error).message).toContain('database is down');
    const second = await controlm().fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect((second as SourceUnavailableError).transient).toBe(false);
  });

  it('honours Retry-After on 429', async () => {
    simulator.script('GET', 'usage/jobs', [{ status: 429, headers: { 'retry-after': '7' }, body: {} }]);
    const error = await controlm().fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ transient: true, retryAfterMs: 7000 });
  });

  it('times out on a server that never answers or trickles', async () => {
    simulator.script('GET', 'usage/jobs', [{ hang: true }, { body: { totalJobExecution: 5, usage: [] }, trickleMs: 100 }]);
    const source = controlm({ timeoutMs: 250 });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
  });

  it('rejects bodies that are not a valid count', async () => {
    const cases: [unknown, RegExp][] = [
      [{ usage: [], totalJobExecution: -1 }, /negative/],
      [{ usage: [], totalJobExecution: 1.5 }, /not a whole number/],
      [{ usage: [], totalJobExecution: '12345' }, /a string/],
      [{ usage: [], totalJobExecution: null }, /is null/],
      [{ usage: [] }, /has no totalJobExecution/],
      [{ usage: [{ server: 'a', jobExecution: 3 }], totalJobExecution: 4 }, /does not match the sum/],
    ];
    for (const [body, reason] of cases) {
      simulator.script('GET', 'usage/jobs', [{ body }]);
      const error = await controlm().fetchCount(fetchContext()).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(body)).toBeInstanceOf(MissingCountError);
      expect((error as Error).message).toMatch(reason);
    }
  });

  it('rejects a non-JSON body and a 200 carrying errors', async () => {
    simulator.script('GET', 'usage/jobs', [{ raw: '<html>Gateway error</html>' }, { body: { errors: [{ message: 'license server busy' }] } }]);
    await expect(controlm().fetchCount(fetchContext())).rejects.toThrow(/not JSON.*Gateway error/);
    await expect(controlm().fetchCount(fetchContext())).rejects.toThrow(/license server busy/);
  });

  it('calls a refused connection transient', async () => {
    const source = sourceFromConfig({ type: 'controlm', endpoint: 'http://127.0.0.1:9/automation-api', auth: { apiKey: { env: 'CTM_KEY' } } });
    const error = await source.fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as SourceUnavailableError).transient).toBe(true);
  });
});

describe('controlm source, jobs-status mode', () => {
  it('counts ordered jobs without folders, with a breakdown by status and application', async () => {
    const result = await controlm({ mode: 'jobs-status', query: { ctm: 'ctm01' } }).fetchCount({ ...fetchContext(), businessDate: '2026-11-24' });
    expect(result.count).toBe(120);
    expect(result.note).toBe('120 jobs ordered for 261124, 100 executions, 4 folders skipped (counted as ordered); servers: ctm01 Up 9.0.21.200');
    expect(result.breakdown?.byStatus).toEqual({ 'Ended OK': 60, 'Ended Not OK': 20, Executing: 20, 'Wait Condition': 20 });
    expect(result.breakdown?.byApplication).toEqual({ HR: 40, FIN: 80 });
    const query = simulator.http.requestsTo('/automation-api/run/jobs/status')[0]?.query;
    expect(query?.get('ctm')).toBe('ctm01');
    expect(query?.get('limit')).toBe('10000');
    expect([query?.get('orderDateFrom'), query?.get('orderDateTo')]).toEqual(['261124', '261124']);
  });

  it('refuses a partial answer (returned < total) instead of undercounting', async () => {
    const error = await controlm({ mode: 'jobs-status', pageLimit: 50 }).fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourcePartialError);
    expect((error as SourcePartialError).describe()).toMatch(/returned 50 of 124 .*raise pageLimit/);
  });

  it('names the partition that came back capped', async () => {
    const source = controlm({ mode: 'jobs-status', pageLimit: 50, partitions: [{ application: 'HR' }, { application: 'FIN' }] });
    await expect(source.fetchCount(fetchContext())).rejects.toThrow(/returned 50 of 84 jobs for application=FIN/);
  });

  it('rejects a statuses answer with invalid counters, and one saying it has jobs without listing them', async () => {
    simulator.script('GET', 'run/jobs/status', [{ body: { statuses: [], returned: 0, total: 'many' } }, { body: { startIndex: 0, itemsPerPage: 25, total: 3 } }, { body: {} }]);
    await expect(controlm({ mode: 'jobs-status' }).fetchCount(fetchContext())).rejects.toThrow(/total is a string/);
    await expect(controlm({ mode: 'jobs-status' }).fetchCount(fetchContext())).rejects.toThrow(/returned 0 of 3 jobs/);
    await expect(controlm({ mode: 'jobs-status' }).fetchCount(fetchContext())).rejects.toThrow(/neither statuses nor total/);
  });

  it('reads an answer that starts with a byte-order mark and arrives a byte at a time', async () => {
    const body = JSON.stringify({ statuses: [{ jobId: 'x:1', type: 'Job', status: 'Ended OK', application: 'FIN' }, { jobId: 'x:2', type: 'Folder' }], returned: 2, total: 2 });
    simulator.script('GET', 'run/jobs/status', [{ raw: `\uFEFF${body}`, trickleMs: 0 }]);
    await expect(controlm({ mode: 'jobs-status' }).fetchCount(fetchContext())).resolves.toMatchObject({ count: 1, note: expect.stringMatching(/^1 jobs ordered for \d{6}, 1 executions, 1 folders skipped/) as unknown });
  });

  it('fails a streamed answer that is not JSON, cut short, not an object or has statuses twice, quoting its start', async () => {
    const cases: [string, RegExp][] = [
      ['<html><body>502 Bad Gateway</body></html>', /no valid count \(the answer is not JSON \(text\/plain: <html><body>502 Bad Gateway/],
      ['', /the answer is not JSON \(text\/plain: empty body\)/],
      ['{"statuses":[{"type":"Job"},{"type":"Jo', /the answer is not JSON/],
      ['[{"returned":1,"total":1}]', /the answer is not a JSON object/],
      ['{"statuses":[{"type":"Job"}],"statuses":[{"type":"Job"}],"returned":1,"total":1}', /the answer has "statuses" twice/],
      ['{"statuses":[{"type":"Job"}, 7],"returned":2,"total":2}', /statuses\[1\] is not an object/],
    ];
    for (const [raw, reason] of cases) {
      simulator.script('GET', 'run/jobs/status', [{ raw }]);
      const error = await controlm({ mode: 'jobs-status' }).fetchCount(fetchContext()).catch((caught: unknown) => caught);
      expect(error, raw).toBeInstanceOf(MissingCountError);
      expect((error as Error).message, raw).toMatch(reason);
    }
  });

  it('fails on a 200 carrying errors, on HTTP errors, and on a trickling answer, as in usage mode', async () => {
    simulator.script('GET', 'run/jobs/status', [
      { body: { errors: [{ message: 'Failed to get jobs status: server ctm09 is not available' }] } },
      { status: 503, body: { errors: [{ message: 'overloaded' }] } },
      { body: { statuses: [], returned: 0, total: 0 }, trickleMs: 100 },
    ]);
    const source = controlm({ mode: 'jobs-status', timeoutMs: 250 });
    const refused = await source.fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(SourceUnavailableError);
    expect(refused).toMatchObject({ transient: false, message: expect.stringMatching(/answered with errors: Failed to get jobs status/) as unknown });
    await expect(source.fetchCount(fetchContext())).rejects.toMatchObject({ transient: true, message: expect.stringMatching(/HTTP 503 .*overloaded/) as unknown });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
  });

  it('logs in again once when the session expired, without counting anything twice', async () => {
    const source = controlm({ mode: 'jobs-status', ...login });
    await source.fetchCount(fetchContext());
    simulator.expireSessions();
    await expect(source.fetchCount(fetchContext())).resolves.toMatchObject({ count: 120 });
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(2);
  });
});
