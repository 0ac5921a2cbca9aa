import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ControlmSourceConfig } from '../../src/config/load.js';
import { ConfigError, SourceAuthError, SourcePartialError, SourceUnavailableError } from '../../src/errors.js';
import { ControlmSource, SESSION_LIFETIME_MS } from '../../src/sources/controlm.js';
import { ControlmSimulator, simulatedJob, type ControlmSimulatorOptions } from '../support/sim-controlm.js';
import { fetchContext, SECRET_ENV, sourceFromConfig } from './support.js';

/** Rows like the real answers: a folder, its jobs, a cyclic job, a dummy, jobs kept from earlier days. */
const ENVIRONMENT = [
  simulatedJob({ name: 'DAILY', type: 'Folder', folderId: 'ctm01:root', orderDate: '261124' }),
  simulatedJob({ name: 'load', folderId: 'ctm01:DAILY', orderDate: '261124', numberOfRuns: 1 }),
  simulatedJob({ name: 'poll', folderId: 'ctm01:DAILY', orderDate: '261124', numberOfRuns: 12, cyclic: true, status: 'Wait Condition' }),
  simulatedJob({ name: 'report', folderId: 'ctm01:DAILY', orderDate: '261124', numberOfRuns: 0, status: 'Wait Workload' }),
  simulatedJob({ name: 'marker', folderId: 'ctm01:DAILY', orderDate: '261124', type: 'Dummy', numberOfRuns: 1 }),
  simulatedJob({ name: 'fix', folderId: 'ctm01:DAILY', orderDate: '261124', status: 'Ended Not OK', ctm: 'ctm02', application: 'HR' }),
  simulatedJob({ name: 'old-held', folderId: 'ctm01:DAILY', orderDate: '261123', numberOfRuns: 0, status: 'Wait Condition', held: true }),
  simulatedJob({ name: 'old-done', folderId: 'ctm01:DAILY', orderDate: '261123', numberOfRuns: 1 }),
];
/** The day these answers are of, counted as the current Control-M day. */
const DAY = { businessDate: '2026-11-24', currentBusinessDate: '2026-11-24' };
const simulators: ControlmSimulator[] = [];

async function simulate(options: Partial<ControlmSimulatorOptions> = {}): Promise<ControlmSimulator> {
  const simulator = await ControlmSimulator.start({ apiKey: SECRET_ENV.CTM_KEY, username: 'ops', password: SECRET_ENV.CTM_PASSWORD, jobs: ENVIRONMENT, usage: { ctm01: 4, ctm02: 1 }, ...options });
  simulators.push(simulator);
  return simulator;
}

let shared: ControlmSimulator;
beforeAll(async () => {
  shared = await simulate();
});
afterAll(async () => {
  await Promise.all(simulators.map((simulator) => simulator.close()));
});
afterEach(() => {
  shared.http.requests.length = 0;
});

function jobsStatus(simulator: ControlmSimulator, extra: Record<string, unknown> = {}) {
  return sourceFromConfig({ type: 'controlm', mode: 'jobs-status', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, ...extra });
}

function withClock(simulator: ControlmSimulator, now: () => number, extra: Record<string, unknown> = {}) {
  const entry = { name: 'SPA', type: 'controlm', endpoint: simulator.endpoint, auth: { username: 'ops', password: { env: 'CTM_PASSWORD' } }, timeoutMs: 2000, ...extra };
  const config = parseConfig({ sources: [entry] }, { env: SECRET_ENV }).sources[0] as ControlmSourceConfig;
  return new ControlmSource(config, undefined, { now });
}

describe('jobs-status counts the order date, whatever the server answers', () => {
  it('counts the business date\'s job rows (ordered), stores every metric and both breakdowns', async () => {
    const result = await jobsStatus(shared).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.count).toBe(5);
    expect(result.metrics).toEqual({ ordered: 5, executions: 14, never_ran: 1, cyclic_reruns: 11, dummy: 1, failed: 1, ordered_not_running: 2, carried_over: 0, carried_over_held: 0 });
    expect(result.breakdown).toMatchObject({ byServer: { ctm01: 4, ctm02: 1 }, byType: { Command: 4, Dummy: 1 } });
  });

  it('bills executions when countAs says so', async () => {
    await expect(jobsStatus(shared, { countAs: 'executions' }).fetchCount({ ...fetchContext(), ...DAY })).resolves.toMatchObject({ count: 14 });
  });

  it('filters by orderDate itself when the server ignores orderDateFrom/orderDateTo, and counts carried-over rows', async () => {
    const careless = await simulate({ ignoresOrderDate: true });
    const result = await jobsStatus(careless).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.count).toBe(5);
    expect(result.metrics).toMatchObject({ carried_over: 2, carried_over_held: 1 });
    expect(result.note).toContain('2 carried over from earlier order dates (1 held)');
  });

  it('counts a past date from the rows the active environment still holds for it, and says how many', async () => {
    const careless = await simulate({ ignoresOrderDate: true });
    const result = await jobsStatus(careless).fetchCount({ ...fetchContext(), businessDate: '2026-11-23' });
    expect(result.count).toBe(2);
    expect(result.note).toMatch(/^2 jobs ordered for 261123, 1 executions, 1 folders skipped, 5 of later order dates skipped/);
  });

  it.each([
    ['run-status', { startIndex: 0, itemsPerPage: 10_000, total: 8 }],
    ['with-returned', { startIndex: 0, itemsPerPage: 10_000, returned: 8, total: 8 }],
    ['statuses-only', {}],
  ] as const)('reads the %s answer shape', async (answerShape, counters) => {
    const simulator = await simulate({ answerShape, ignoresOrderDate: true });
    const result = await jobsStatus(simulator).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.count).toBe(5);
    const answered = simulator.http.requestsTo('/automation-api/run/jobs/status');
    expect(answered).toHaveLength(1);
    expect(Object.keys(counters).length === 0 ? result.warnings : []).toEqual(
      Object.keys(counters).length === 0 ? ['the answer has no total: 8 rows counted, a capped answer cannot be told apart'] : [],
    );
  });

  it('counts an empty answer without statuses (total 0, or nothing at all but counters) as zero jobs', async () => {
    const empty = await simulate({ jobs: [] });
    await expect(jobsStatus(empty).fetchCount({ ...fetchContext(), ...DAY })).resolves.toMatchObject({ count: 0, metrics: { ordered: 0, executions: 0 } });
    shared.script('GET', 'run/jobs/status', [{ body: { startIndex: 0, itemsPerPage: 25 } }]);
    await expect(jobsStatus(shared).fetchCount({ ...fetchContext(), ...DAY })).rejects.toThrow(/neither statuses nor total/);
  });

  it('fails a capped answer without `returned` (rows < total), never undercounting', async () => {
    const capped = await simulate({ maxRows: 3 });
    const error = await jobsStatus(capped).fetchCount({ ...fetchContext(), ...DAY }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourcePartialError);
    expect((error as Error).message).toMatch(/returned 3 of 6 jobs/);
  });

  it('warns in the run log when an answer is within 20% of pageLimit', async () => {
    const result = await jobsStatus(shared, { pageLimit: 7 }).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.warnings).toContain('the answer has 6 rows, within 20% of pageLimit 7: split the query with partitions before it is capped');
    expect(result.health?.answerRows).toBe(6);
  });

  it('bills ordered jobs by default, and says what it bills', () => {
    expect(jobsStatus(shared).describe()).toBe(`Control-M jobs-status at ${shared.endpoint} (API key, counting ordered)`);
    expect(jobsStatus(shared, { countAs: 'executions' }).describe()).toMatch(/counting executions\)$/);
  });

  it('refuses a pageLimit above the server cap of 10,000', () => {
    expect(() => jobsStatus(shared, { pageLimit: 10_001 })).toThrow(ConfigError);
  });
});

describe('sessions', () => {
  it('reuses a token until shortly before its 30-minute expiry, then logs in again', async () => {
    const simulator = await simulate();
    let now = 1_000_000;
    const source = withClock(simulator, () => now);
    await source.fetchCount({ ...fetchContext(), ...DAY });
    now += 20 * 60_000;
    await source.fetchCount({ ...fetchContext(), ...DAY });
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(1);
    now += SESSION_LIFETIME_MS - 20 * 60_000 - 60_000;
    await source.fetchCount({ ...fetchContext(), ...DAY });
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(2);
  });

  it('logs out when closed, once, and not at all without a session', async () => {
    const simulator = await simulate();
    const source = withClock(simulator, Date.now);
    await source.close();
    expect(simulator.loggedOut).toEqual([]);
    await source.fetchCount({ ...fetchContext(), ...DAY });
    await source.close();
    await source.close();
    expect(simulator.loggedOut).toEqual(['token-1']);
    expect(simulator.tokens.size).toBe(0);
  });

  it('does not log in again on a 403: that is a permission, not an expired session', async () => {
    const simulator = await simulate();
    const source = withClock(simulator, Date.now);
    await source.fetchCount({ ...fetchContext(), ...DAY });
    simulator.script('GET', 'usage/jobs', [{ status: 403, body: { errors: [{ message: 'Forbidden: the user has no Usage privilege' }] } }]);
    const error = await source.fetchCount({ ...fetchContext(), ...DAY }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceAuthError);
    expect((error as Error).message).toMatch(/HTTP 403 .*Usage privilege/);
    expect(simulator.http.requestsTo('/automation-api/session/login')).toHaveLength(1);
  });
});

describe('usage-report mode (Control-M SaaS)', () => {
  function report(simulator: ControlmSimulator) {
    return sourceFromConfig({ type: 'controlm', mode: 'usage-report', endpoint: simulator.endpoint, auth: { apiKey: { env: 'CTM_KEY' } } });
  }

  it('reads the business date\'s figure, past dates and other years included', async () => {
    const simulator = await simulate({ usageReport: { '2025-12-31': { prod: 7 }, '2026-11-23': { prod: 900, dev: 12 }, '2026-11-24': { prod: 950 } } });
    const source = report(simulator);
    expect(source.countsPastDates).toBe(true);
    await expect(source.fetchCount({ ...fetchContext(), businessDate: '2026-11-23' })).resolves.toMatchObject({ count: 912, breakdown: { byServer: { prod: 900, dev: 12 } } });
    await expect(source.fetchCount({ ...fetchContext(), businessDate: '2025-12-31' })).resolves.toMatchObject({ count: 7 });
    const asked = simulator.http.requestsTo('/automation-api/usage/report').map((request) => request.query.toString());
    expect(asked).toEqual(['reportBy=day&year=2026', 'reportBy=day&year=2025']);
  });

  it('calls a day not in the report yet a transient error, never 0', async () => {
    const simulator = await simulate({ usageReport: { '2026-11-23': { prod: 900 } } });
    const error = await report(simulator).fetchCount({ ...fetchContext(), ...DAY }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error).toMatchObject({ transient: true, message: expect.stringMatching(/no figure for 2026-11-24 yet/) as unknown });
  });
});

describe('server health and reconciliation', () => {
  it('records config/servers state and version, and warns about a server that is not Up', async () => {
    const simulator = await simulate({ servers: [{ name: 'ctm01', state: 'Up', version: '9.0.21.200' }, { name: 'ctm02', state: 'Disconnected', version: '9.0.20.100' }] });
    const result = await jobsStatus(simulator).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.breakdown?.serverUp).toEqual({ ctm01: 1, ctm02: 0 });
    expect(result.health?.servers).toEqual([
      { name: 'ctm01', up: true, version: '9.0.21.200' },
      { name: 'ctm02', up: false, version: '9.0.20.100' },
    ]);
    expect(result.note).toContain('servers: ctm01 Up 9.0.21.200, ctm02 down 9.0.20.100');
    expect(result.warnings).toContain('Control-M servers not Up: ctm02');
  });

  it('still counts when config/servers fails, with a warning', async () => {
    shared.script('GET', 'config/servers', [{ status: 500, body: { errors: [{ message: 'EM down' }] } }]);
    const result = await jobsStatus(shared).fetchCount({ ...fetchContext(), ...DAY });
    expect(result.count).toBe(5);
    expect(result.warnings?.[0]).toMatch(/^config\/servers: .*HTTP 500/);
  });

  it('reconciles with usage/jobs: drift stored as metrics, a warning over the threshold', async () => {
    const within = await jobsStatus(shared, { reconcile: { with: 'usage', maxDriftPercent: 5 } }).fetchCount({ ...fetchContext(), ...DAY });
    expect(within.reconciliation).toEqual({ own: 5, server: 5, driftPercent: 0, maxDriftPercent: 5 });
    expect(within.metrics).toMatchObject({ server_usage: 5, drift: 0 });
    const over = await jobsStatus(shared, { countAs: 'executions', reconcile: { with: 'usage', maxDriftPercent: 5 } }).fetchCount({ ...fetchContext(), ...DAY });
    expect(over.reconciliation).toEqual({ own: 14, server: 5, driftPercent: 180, maxDriftPercent: 5 });
    expect(over.metrics).toMatchObject({ server_usage: 5, drift: 9 });
    expect(over.warnings).toContain('usage/jobs says 5: drift 9 (180.0%, alert above 5%)');
  });

  it('does not reconcile a past date with usage/jobs, which only knows the current day', async () => {
    const past = await jobsStatus(shared, { reconcile: { with: 'usage', maxDriftPercent: 5 } }).fetchCount({ ...fetchContext(), ...DAY, currentBusinessDate: '2026-11-25' });
    expect(past.reconciliation).toBeUndefined();
    expect(past.metrics).not.toHaveProperty('drift');
    expect(past.note).toContain('not reconciled: usage/jobs only knows 2026-11-25');
  });

  it('refuses reconcile on a source that is not jobs-status', () => {
    const error = (() => {
      try {
        sourceFromConfig({ type: 'controlm', endpoint: shared.endpoint, auth: { apiKey: { env: 'CTM_KEY' } }, reconcile: { with: 'usage' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ path: 'sources[0].reconcile', message: expect.stringMatching(/reconcile checks a jobs-status count/) as unknown }]);
  });
});
