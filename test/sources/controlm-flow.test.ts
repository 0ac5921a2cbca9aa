import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_STATUS } from '../../src/persistence/schema.js';
import { createHarness, runOnce, type Harness } from '../support/harness.js';
import { ControlmSimulator } from '../support/sim-controlm.js';
import { SECRET_ENV, sourceFromConfig } from './support.js';

let harness: Harness;
let spa: ControlmSimulator;
let upctm: ControlmSimulator;

beforeAll(async () => {
  spa = await ControlmSimulator.start({ apiKey: SECRET_ENV.CTM_KEY, usage: { spa01: 20_000 } });
  upctm = await ControlmSimulator.start({ username: 'ops', password: SECRET_ENV.CTM_PASSWORD, usage: { up01: 10_000, up02: 18_500 } });
  harness = await createHarness();
  harness.startWorkers([
    sourceFromConfig({ type: 'controlm', endpoint: spa.endpoint, auth: { apiKey: { env: 'CTM_KEY' } } }),
    renamed(sourceFromConfig({ type: 'controlm', endpoint: upctm.endpoint, auth: { username: 'ops', password: { env: 'CTM_PASSWORD' } } }), 'UPCTM'),
  ]);
});
afterAll(async () => {
  await harness.close();
  await spa.close();
  await upctm.close();
});

/** Source support builds every source as SPA; the flow needs the configured names. */
function renamed<T extends { name: string }>(source: T, name: string): T {
  Object.defineProperty(source, 'name', { value: name });
  return source;
}


describe('count flow against two simulated Control-M servers', () => {
  it('counts both, retries a 500, and stores the total at the limit', async () => {
    spa.script('GET', 'usage/jobs', [{ status: 500, body: { errors: [{ message: 'temporarily overloaded' }] } }]);
    const { run, total, counts, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.success);
    expect(total?.total).toBe(48_500);
    expect(counts.map((count) => [count.source, count.count]).sort()).toEqual([
      ['SPA', 20_000],
      ['UPCTM', 28_500],
    ]);
    const story = details.map((line) => line.message).join('\n');
    expect(story).toMatch(/SPA: .*temporarily overloaded.*retry/i);
    expect(story).toMatch(/UPCTM: 28,500 .*2 servers/);
  });

  it('fails the run at once on 401, naming the source and reason, with no totals row', async () => {
    spa.script('GET', 'usage/jobs', [{ status: 401, body: { errors: [{ message: 'API key revoked' }] } }]);
    const { run, total, details } = await runOnce(harness);
    expect(run.status).toBe(RUN_STATUS.error);
    expect(total).toBeUndefined();
    expect(details.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([expect.stringMatching(/^Run failed: SPA: HTTP 401 .*API key revoked/)]);
    expect(spa.http.requestsTo('/automation-api/usage/jobs').length).toBeGreaterThan(0);
  });
});
