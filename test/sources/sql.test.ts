import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { MissingCountError, SourceAuthError, SourceTimeoutError, SourceUnavailableError } from '../../src/errors.js';
import { createSource } from '../../src/sources/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { fetchContext } from './support.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  const admin = postgres(database.url, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create table executions (id serial primary key, day date not null);
    insert into executions (day) select date '2026-11-24' from generate_series(1, 1234);`);
  await admin.end();
});
afterAll(async () => {
  await database.drop();
});

function sqlSource(query: string, url = database.url, timeoutMs = 2000) {
  const config = parseConfig({ sources: [{ name: 'REPORTING', type: 'sql', url: { env: 'REPORTING_URL' }, query, timeoutMs }] }, { env: { REPORTING_URL: url } });
  const [source] = config.sources;
  if (!source) throw new Error('no source');
  return createSource(source);
}

describe('sql source', () => {
  it('reads one integer (bigint from count(*)) and never shows the password', async () => {
    const source = sqlSource("select count(*) from executions where day = date '2026-11-24'");
    await expect(source.fetchCount(fetchContext())).resolves.toEqual({ count: 1234 });
    const withPassword = sqlSource('select 1', database.url.replace('postgres@', 'postgres:s3cret-pw@'));
    expect(withPassword.describe()).not.toContain('s3cret-pw');
  });

  it('runs read-only: a write is refused and changes nothing', async () => {
    const error = await sqlSource('insert into executions (day) values (now()) returning 1').fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as SourceUnavailableError).transient).toBe(false);
    expect((error as Error).message).toMatch(/read-only transaction/);
    await expect(sqlSource('select count(*) from executions').fetchCount(fetchContext())).resolves.toEqual({ count: 1234 });
  });

  it('cancels a query past its timeout', async () => {
    await expect(sqlSource('select count(*) from pg_sleep(10)', database.url, 300).fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceTimeoutError);
  });

  it('rejects answers that are not one non-negative integer', async () => {
    const cases: [string, RegExp][] = [
      ['select 1 where false', /returned 0 rows/],
      ['select 1, 2', /returned 2 columns/],
      ["select 'many'", /a string/],
      ['select -5', /negative/],
      ['select 2.5::numeric', /a string|whole number/],
      ['select null::int', /is null/],
    ];
    for (const [query, reason] of cases) {
      const error = await sqlSource(query).fetchCount(fetchContext()).catch((caught: unknown) => caught);
      expect(error, query).toBeInstanceOf(MissingCountError);
      expect((error as Error).message, query).toMatch(reason);
    }
  });

  it('reports a bad query, a refused login and an unreachable server as such', async () => {
    await expect(sqlSource('select count(*) from nowhere').fetchCount(fetchContext())).rejects.toThrow(/relation "nowhere" does not exist/);
    const wrongUser = sqlSource('select 1', database.url.replace('postgres@', 'nobody@'));
    await expect(wrongUser.fetchCount(fetchContext())).rejects.toBeInstanceOf(SourceAuthError);
    const unreachable = await sqlSource('select 1', 'postgres://postgres@127.0.0.1:9/db').fetchCount(fetchContext()).catch((caught: unknown) => caught);
    expect(unreachable).toMatchObject({ transient: true });
  });
});
