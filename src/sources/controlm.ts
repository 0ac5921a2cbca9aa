import { MissingCountError, SourceAuthError, SourcePartialError } from '../errors.js';
import { formatCount } from '../format.js';
import type { ControlmSourceConfig } from '../config/load.js';
import { countsPastDates } from './business-dates.js';
import { validateCount } from './count.js';
import { StatusTally } from './controlm-statuses.js';
import { requestJson, requestJsonStream, type TlsSettings } from './http-client.js';
import type { CountSource, FetchContext, SourceFetchResult } from './types.js';

/**
 * The Control-M Automation API. `usage` mode trusts the server's own execution total;
 * `jobs-status` mode counts the rows itself and says where the executions go.
 */
export class ControlmSource implements CountSource {
  readonly type = 'controlm';
  readonly name: string;
  readonly countsPastDates: boolean;
  #token: string | undefined;

  constructor(
    private readonly config: ControlmSourceConfig,
    private readonly tls: TlsSettings | undefined,
  ) {
    this.name = config.name;
    this.countsPastDates = countsPastDates(config);
  }

  describe(): string {
    const auth = 'apiKey' in this.config.auth ? 'API key' : `login as ${this.config.auth.username}`;
    return `Control-M ${this.config.mode} at ${this.config.endpoint} (${auth})`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    return this.config.mode === 'usage' ? this.fetchUsage(context) : this.fetchJobsStatus(context);
  }

  private async fetchUsage(context: FetchContext): Promise<SourceFetchResult> {
    const body = await this.get('usage/jobs', context);
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
   * One request, or one per configured partition when a single answer would be capped. Each answer
   * is counted as it streams in; a job in two overlapping partitions (same jobId) counts once.
   */
  private async fetchJobsStatus(context: FetchContext): Promise<SourceFetchResult> {
    const partitions = this.config.partitions.length > 0 ? this.config.partitions : [{}];
    const tally = new StatusTally(this.name);
    for (const partition of partitions) await this.countStatusPage(partition, tally, context);
    const result = tally.result();
    return partitions.length > 1 ? { ...result, note: `${result.note ?? ''} in ${partitions.length} partitions` } : result;
  }

  private async countStatusPage(partition: Record<string, string>, tally: StatusTally, context: FetchContext): Promise<void> {
    const query = { ...this.config.query, ...partition, limit: String(this.config.pageLimit) };
    const answer = await this.withAuth(context, (headers) =>
      requestJsonStream(
        { ...this.base(context), url: this.url('run/jobs/status', query), headers },
        { array: 'statuses', fields: ['returned', 'total'], onElement: (row, index) => tally.add(row, `statuses[${index}]`) },
      ),
    );
    const returned = validateCount(this.name, answer.fields.returned, 'returned');
    const total = validateCount(this.name, answer.fields.total, 'total');
    if (answer.elements === undefined) throw new MissingCountError(this.name, 'the answer has no statuses list');
    if (returned < total || answer.elements < total) {
      const where = Object.keys(partition).length > 0 ? ` for ${Object.entries(partition).map(([key, value]) => `${key}=${value}`).join(', ')}` : '';
      throw new SourcePartialError(this.name, `returned ${formatCount(Math.min(returned, answer.elements))} of ${formatCount(total)} jobs${where}: counting them would undercount`, {
        hint: `raise pageLimit (now ${formatCount(this.config.pageLimit)}) or split the query with partitions (e.g. one per application)`,
      });
    }
  }

  private async get(path: string, context: FetchContext): Promise<unknown> {
    return this.withAuth(context, (headers) => requestJson({ ...this.base(context), url: this.url(path, {}), headers }));
  }

  private async withAuth<T>(context: FetchContext, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    try {
      return await call(await this.authHeaders(context));
    } catch (error) {
      // A session token expires between runs: log in again once before calling it an auth failure.
      if (!(error instanceof SourceAuthError) || 'apiKey' in this.config.auth || this.#token === undefined) throw error;
      this.#token = undefined;
      context.logger.info({ source: this.name }, 'Control-M session expired; logging in again');
      return call(await this.authHeaders(context));
    }
  }

  private async authHeaders(context: FetchContext): Promise<Record<string, string>> {
    const auth = this.config.auth;
    if ('apiKey' in auth) return { 'x-api-key': auth.apiKey.reveal() };
    this.#token ??= await this.login(auth.username, auth.password.reveal(), context);
    return { authorization: `Bearer ${this.#token}` };
  }

  private async login(username: string, password: string, context: FetchContext): Promise<string> {
    const body = await requestJson({ ...this.base(context), url: this.url('session/login', {}), method: 'POST', body: { username, password } });
    const token = (body as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') {
      throw new SourceAuthError(this.name, 'session/login answered without a token', { hint: 'check the endpoint is the Automation API base URL' });
    }
    return token;
  }

  private base(context: FetchContext) {
    return { source: this.name, timeoutMs: this.config.timeoutMs, signal: context.signal, tls: this.tls };
  }

  private url(path: string, query: Record<string, string>): URL {
    const endpoint = this.config.endpoint.endsWith('/') ? this.config.endpoint : `${this.config.endpoint}/`;
    const url = new URL(path, endpoint);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }
}
