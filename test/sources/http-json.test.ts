import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingCountError, SourceAuthError, SourceTimeoutError, SourceUnavailableError } from '../../src/errors.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { fetchContext, SECRET_ENV, sourceFromConfig } from './support.js';

let server: FakeHttpServer;

beforeAll(async () => {
  server = await FakeHttpServer.start();
  server.route('GET', '/stats', (request) =>
    request.headers.authorization === SECRET_ENV.CTM_KEY ? { body: { data: { jobs: [{ count: 4321 }] } } } : { status: 401, body: { errors: [{ message: 'bad token' }] } },
  );
});
afterAll(async () => {
  await server.close();
});

function httpJson(extra: Record<string, unknown> = {}) {
  return sourceFromConfig({
    type: 'http-json',
    url: `${server.url}/stats`,
    path: 'data.jobs[0].count',
    headers: { 'x-team': 'ops' },
    secretHeaders: { authorization: { env: 'CTM_KEY' } },
    ...extra,
  });
}

describe('http-json source', () => {
  it('reads the count at the configured path with plain and secret headers', async () => {
    server.requests.length = 0;
    await expect(httpJson().fetchCount(fetchContext())).resolves.toEqual({ count: 4321 });
    expect(server.requests[0]?.headers['x-team']).toBe('ops');
  });

  it('accepts a JSON body that starts with a byte-order mark', async () => {
    server.route('GET', '/bom', () => ({ raw: '\uFEFF{"count": 12}' }));
    await expect(sourceFromConfig({ type: 'http-json', url: `${server.url}/bom`, path: 'count' }).fetchCount(fetchContext())).resolves.toEqual({ count: 12 });
  });

  it('accepts dotted array indexes too', async () => {
    await expect(httpJson({ path: 'data.jobs.0.count' }).fetchCount(fetchContext())).resolves.toEqual({ count: 4321 });
  });

  it('fails with an auth error on 401', async () => {
    const source = sourceFromConfig({ type: 'http-json', url: `${server.url}/stats`, path: 'data' });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceAuthError);
  });

  it('names the missing field', async () => {
    await expect(httpJson({ path: 'data.jobs[3].count' }).fetchCount(fetchContext())).rejects.toThrow(/has no data.jobs\[3\].count/);
  });

  it('rejects every kind of bad answer with a typed error', async () => {
    server.route('GET', '/odd', () => ({ body: {} }));
    const cases: [Parameters<FakeHttpServer['script']>[2][number], new (...args: never[]) => Error, RegExp][] = [
      [{ body: { count: -3 } }, MissingCountError, /negative/],
      [{ body: { count: 2.5 } }, MissingCountError, /whole number/],
      [{ body: { count: 'lots' } }, MissingCountError, /a string/],
      [{ body: { count: [1] } }, MissingCountError, /an array/],
      [{ body: { count: 1e300 } }, MissingCountError, /too large/],
      [{ raw: '' }, MissingCountError, /not JSON.*empty body/],
      [{ raw: '{"count": 12' }, MissingCountError, /not JSON/],
      [{ body: { errors: [{ message: 'quota exceeded' }] } }, SourceUnavailableError, /quota exceeded/],
      [{ status: 503, raw: 'maintenance' }, SourceUnavailableError, /HTTP 503.*maintenance/],
      [{ status: 403, body: {} }, SourceAuthError, /HTTP 403/],
      [{ resetConnection: true }, SourceUnavailableError, /cannot reach/],
    ];
    const source = sourceFromConfig({ type: 'http-json', url: `${server.url}/odd`, path: 'count' });
    for (const [reply, type, message] of cases) {
      server.script('GET', '/odd', [reply]);
      const error = await source.fetchCount(fetchContext()).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(reply)).toBeInstanceOf(type);
      expect((error as Error).message, JSON.stringify(reply)).toMatch(message);
    }
  });

  it('stops at once when the run is cancelled, and times out otherwise', async () => {
    server.route('GET', '/slow', () => ({ hang: true }));
    const source = sourceFromConfig({ type: 'http-json', url: `${server.url}/slow`, path: 'count', timeoutMs: 200 });
    await expect(source.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
    const cancel = new AbortController();
    const pending = source.fetchCount(fetchContext(cancel.signal)).catch((caught: unknown) => caught);
    cancel.abort();
    expect(await pending).toMatchObject({ transient: true, message: expect.stringMatching(/cancelled/) as unknown });
  });
});
