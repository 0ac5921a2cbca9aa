import { MissingCountError, SourceAuthError, SourcePartialError } from '../errors.js';
import { formatCount } from '../format.js';
import type { ControlmSourceConfig } from '../config/load.js';
import { validateCount } from './count.js';
import { requestJson, type TlsSettings } from './http-client.js';
import type { CountBreakdown, CountSource, FetchContext, SourceFetchResult } from './types.js';

/** Rows of `run/jobs/status` that group jobs rather than run: they are not job executions. */
export const CONTAINER_TYPES = new Set(['Folder', 'SubFolder', 'Sub-Table', 'SubTable', 'Table', 'SmartFolder', 'SmartTable']);

/**
 * The Control-M Automation API. `usage` mode trusts the server's own execution total;
 * `jobs-status` mode counts the rows itself and says where the executions go.
 */
export class ControlmSource implements CountSource {
  readonly type = 'controlm';
  readonly name: string;
  #token: string | undefined;

  constructor(
    private readonly config: ControlmSourceConfig,
    private readonly tls: TlsSettings | undefined,
  ) {
    this.name = config.name;
  }

  describe(): string {
    const auth = 'apiKey' in this.config.auth ? 'API key' : `login as ${this.config.auth.username}`;
    return `Control-M ${this.config.mode} at ${this.config.endpoint} (${auth})`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    return this.config.mode === 'usage' ? this.fetchUsage(context) : this.fetchJobsStatus(context);
  }

  private async fetchUsage(context: FetchContext): Promise<SourceFetchResult> {
    const body = await this.get('usage/jobs', {}, context);
    const usage = (body as { usage?: unknown }).usage;
    const count = validateCount(this.name, (body as { totalJobExecution?: unknown }).totalJobExecution, 'totalJobExecution');
    if (!Array.isArray(usage)) return { count };
    const perServer = usage.map((entry: unknown, index) => validateCount(this.name, (entry as { jobExecution?: unknown } | null)?.jobExecution, `usage[${index}].jobExecution`));
    const sum = perServer.reduce((total, value) => total + value, 0);
    if (sum !== count) {
      throw new MissingCountError(this.name, `totalJobExecution ${formatCount(count)} does not match the sum of usage ${formatCount(sum)}`);
    }
    return { count, note: `${usage.length} ${usage.length === 1 ? 'server' : 'servers'}` };
  }

  private async fetchJobsStatus(context: FetchContext): Promise<SourceFetchResult> {
    const query = { ...this.config.query, limit: String(this.config.pageLimit) };
    const body = (await this.get('run/jobs/status', query, context)) as { statuses?: unknown; returned?: unknown; total?: unknown };
    const returned = validateCount(this.name, body.returned, 'returned');
    const total = validateCount(this.name, body.total, 'total');
    if (!Array.isArray(body.statuses)) throw new MissingCountError(this.name, 'the answer has no statuses list');
    if (returned < total || body.statuses.length < total) {
      throw new SourcePartialError(this.name, `returned ${formatCount(Math.min(returned, body.statuses.length))} of ${formatCount(total)} jobs: counting them would undercount`, {
        hint: `raise pageLimit (now ${formatCount(this.config.pageLimit)}) or narrow query`,
      });
    }
    return countStatuses(this.name, body.statuses);
  }

  private async get(path: string, query: Record<string, string>, context: FetchContext): Promise<unknown> {
    const url = this.url(path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const attempt = async () => requestJson({ ...this.base(context), url, headers: await this.authHeaders(context) });
    try {
      return await attempt();
    } catch (error) {
      // A session token expires between runs: log in again once before calling it an auth failure.
      if (!(error instanceof SourceAuthError) || 'apiKey' in this.config.auth || this.#token === undefined) throw error;
      this.#token = undefined;
      context.logger.info({ source: this.name }, 'Control-M session expired; logging in again');
      return attempt();
    }
  }

  private async authHeaders(context: FetchContext): Promise<Record<string, string>> {
    const auth = this.config.auth;
    if ('apiKey' in auth) return { 'x-api-key': auth.apiKey.reveal() };
    this.#token ??= await this.login(auth.username, auth.password.reveal(), context);
    return { authorization: `Bearer ${this.#token}` };
  }

  private async login(username: string, password: string, context: FetchContext): Promise<string> {
    const body = await requestJson({ ...this.base(context), url: this.url('session/login'), method: 'POST', body: { username, password } });
    const token = (body as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') {
      throw new SourceAuthError(this.name, 'session/login answered without a token', { hint: 'check the endpoint is the Automation API base URL' });
    }
    return token;
  }

  private base(context: FetchContext) {
    return { source: this.name, timeoutMs: this.config.timeoutMs, signal: context.signal, tls: this.tls };
  }

  private url(path: string): URL {
    const endpoint = this.config.endpoint.endsWith('/') ? this.config.endpoint : `${this.config.endpoint}/`;
    return new URL(path, endpoint);
  }
}

interface StatusRow {
  type?: unknown;
  status?: unknown;
  application?: unknown;
}

/** Counts executions among status rows, skipping containers, with where they went. */
export function countStatuses(source: string, rows: readonly unknown[]): SourceFetchResult {
  const byStatus: Record<string, number> = {};
  const byApplication: Record<string, number> = {};
  let count = 0;
  let containers = 0;
  rows.forEach((row: unknown, index) => {
    if (typeof row !== 'object' || row === null) throw new MissingCountError(source, `statuses[${index}] is not an object`);
    const { type, status, application } = row as StatusRow;
    if (typeof type === 'string' && CONTAINER_TYPES.has(type)) {
      containers++;
      return;
    }
    count++;
    const statusKey = typeof status === 'string' && status ? status : 'Unknown';
    const applicationKey = typeof application === 'string' && application ? application : '(none)';
    byStatus[statusKey] = (byStatus[statusKey] ?? 0) + 1;
    byApplication[applicationKey] = (byApplication[applicationKey] ?? 0) + 1;
  });
  const breakdown: CountBreakdown = { byStatus, byApplication };
  const note = containers > 0 ? `${formatCount(count)} jobs, ${formatCount(containers)} folders skipped` : `${formatCount(count)} jobs`;
  return { count, breakdown, note };
}
