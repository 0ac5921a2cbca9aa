import postgres from 'postgres';
import type { SqlSourceConfig } from '../config/load.js';
import { redactUrl } from '../config/secret.js';
import { MissingCountError, SourceAuthError, SourceTimeoutError, SourceUnavailableError } from '../errors.js';
import { validateCount } from './count.js';
import type { CountSource, FetchContext, SourceFetchResult } from './types.js';

/** Postgres types whose text form is an exact integer (int8, numeric): postgres.js returns strings. */
const EXACT_NUMBER_TEXT = /^-?\d+(\.0+)?$/;

/**
 * A count kept in a database (a reporting replica, an ops table). The query runs in a read-only
 * transaction with a statement timeout, on a connection opened for this fetch only.
 */
export class SqlSource implements CountSource {
  readonly type = 'sql';
  readonly countsPastDates = false;
  readonly name: string;

  constructor(private readonly config: SqlSourceConfig) {
    this.name = config.name;
  }

  describe(): string {
    return `SQL on ${redactUrl(this.config.url.reveal(), 'database')}`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    const client = postgres(this.config.url.reveal(), {
      max: 1,
      connect_timeout: Math.max(1, Math.ceil(this.config.timeoutMs / 1000)),
      idle_timeout: 1,
      onnotice: () => undefined,
      // Reads one integer; the array-type lookup postgres.js makes on connect is not needed, and a
      // connection lost during it crashes the process (see persistence/db.ts).
      fetch_types: false,
    });
    const cancel = () => void client.end({ timeout: 0 });
    context.signal.addEventListener('abort', cancel, { once: true });
    try {
      const rows = await client.begin('read only', async (transaction) => {
        await transaction.unsafe(`set local statement_timeout = ${Math.round(this.config.timeoutMs)}`);
        return transaction.unsafe(this.config.query).values();
      });
      return { count: this.readCount(rows) };
    } catch (error) {
      throw this.classify(error);
    } finally {
      context.signal.removeEventListener('abort', cancel);
      await client.end({ timeout: 1 });
    }
  }

  /** Rows come as arrays so that two unnamed columns (`select 1, 2`) are still two columns. */
  private readCount(rows: readonly unknown[][] & { columns: readonly { name: string }[] }): number {
    if (rows.length !== 1) throw new MissingCountError(this.name, `the query returned ${rows.length} rows, expected exactly one`);
    const values = rows[0] ?? [];
    if (values.length !== 1) throw new MissingCountError(this.name, `the query returned ${values.length} columns, expected exactly one`);
    const value: unknown = values[0];
    const number = typeof value === 'string' && EXACT_NUMBER_TEXT.test(value) ? Number(value) : value;
    return validateCount(this.name, number, `column ${rows.columns[0]?.name ?? '1'}`);
  }

  private classify(error: unknown): Error {
    if (error instanceof MissingCountError) return error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === '57014') return new SourceTimeoutError(this.name, `the query ran longer than ${this.config.timeoutMs} ms and was cancelled`, { hint: 'speed up the query or raise timeoutMs', cause: error });
    if (code === '28P01' || code === '28000') return new SourceAuthError(this.name, `the database refused the login: ${message}`, { hint: 'check the user and password in the source URL', cause: error });
    if (typeof code === 'string' && /^(42|25|22)/.test(code)) {
      return new SourceUnavailableError(this.name, `the query failed: ${message}`, { transient: false, hint: 'fix the query (it runs read-only and must return one integer)', cause: error });
    }
    if (code === 'CONNECT_TIMEOUT') return new SourceTimeoutError(this.name, `no connection to the database within ${this.config.timeoutMs} ms`, { cause: error });
    return new SourceUnavailableError(this.name, `cannot query the database: ${message}`, { transient: true, hint: 'check the database is up and reachable from the worker', cause: error });
  }
}
