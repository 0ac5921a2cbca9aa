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

  /**
   * One request, or one per configured partition when a single answer would be capped. Rows are
   * de-duplicated by jobId, so overlapping partitions never count a job twice.
   */
  private async fetchJobsStatus(context: FetchContext): Promise<SourceFetchResult> {
    const partitions = this.config.partitions.length > 0 ? this.config.partitions : [{}];
    const rows = new Map<string, unknown>();
    let anonymous = 0;
    for (const partition of partitions) {
      for (const row of await this.fetchStatusPage(partition, context)) {
        const jobId = (row as { jobId?: unknown } | null)?.jobId;
        rows.set(typeof jobId === 'string' && jobId ? jobId : `#${anonymous++}`, row);
      }
    }
    const result = countStatuses(this.name, [...rows.values()]);
    return partitions.length > 1 ? { ...result, note: `${result.note ?? ''} in ${partitions.length} partitions` } : result;
  }

  private async fetchStatusPage(partition: Record<string, string>, context: FetchContext): Promise<unknown[]> {
    const query = { ...this.config.query, ...partition, limit: String(this.config.pageLimit) };
    const body = (await this.get('run/jobs/status', query, context)) as { statuses?: unknown; returned?: unknown; total?: unknown };
    const returned = validateCount(this.name, body.returned, 'returned');
    const total = validateCount(this.name, body.total, 'total');
    if (!Array.isArray(body.statuses)) throw new MissingCountError(this.name, 'the answer has no statuses list');
    if (returned < total || body.statuses.length < total) {
      const where = Object.keys(partition).length > 0 ? ` for ${Object.entries(partition).map(([key, value]) => `${key}=${value}`).join(', ')}` : '';
      throw new SourcePartialError(this.name, `returned ${formatCount(Math.min(returned, body.statuses.length))} of ${formatCount(total)} jobs${where}: counting them would undercount`, {
        hint: `raise pageLimit (now ${formatCount(this.config.pageLimit)}) or split the query with partitions (e.g. one per application)`,
      });
    }
    return body.statuses as unknown[];
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
  subApplication?: unknown;
  held?: unknown;
  deleted?: unknown;
}

function label(value: unknown, fallback: string): string {
  return typeof value === 'string' && value ? value : fallback;
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Counts executions among status rows, skipping containers, with where they went. */
export function countStatuses(source: string, rows: readonly unknown[]): SourceFetchResult {
  const byStatus: Record<string, number> = {};
  const byApplication: Record<string, number> = {};
  const bySubApplication: Record<string, number> = {};
  const flags: Record<string, number> = {};
  let count = 0;
  let containers = 0;
  rows.forEach((row: unknown, index) => {
    if (typeof row !== 'object' || row === null) throw new MissingCountError(source, `statuses[${index}] is not an object`);
    const { type, status, application, subApplication, held, deleted } = row as StatusRow;
    if (typeof type === 'string' && CONTAINER_TYPES.has(type)) {
      containers++;
      return;
    }
    count++;
    const applicationKey = label(application, '(none)');
    increment(byStatus, label(status, 'Unknown'));
    increment(byApplication, applicationKey);
    increment(bySubApplication, `${applicationKey}/${label(subApplication, '(none)')}`);
    if (held === true) increment(flags, 'held');
    if (deleted === true) increment(flags, 'deleted');
  });
  const breakdown: CountBreakdown = { byStatus, byApplication, bySubApplication, flags };
  const note = containers > 0 ? `${formatCount(count)} jobs, ${formatCount(containers)} folders skipped` : `${formatCount(count)} jobs`;
  return { count, breakdown, note };
}
