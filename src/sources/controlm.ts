import { errorMessage, MissingCountError, SourceAuthError, SourcePartialError } from '../errors.js';
import { formatCount } from '../format.js';
import type { ControlmSourceConfig } from '../config/load.js';
import { countsPastDates } from './business-dates.js';
import { validateCount } from './count.js';
import { controlmOrderDate, StatusTally } from './controlm-statuses.js';
import { readUsageJobs, readUsageReportDay } from './controlm-usage.js';
import { requestJson, requestJsonStream, type TlsSettings } from './http-client.js';
import type { CountSource, FetchContext, Reconciliation, ServerHealth, SourceFetchResult } from './types.js';

/** BMC Session service: a session token expires 30 minutes after login. */
export const SESSION_LIFETIME_MS = 30 * 60_000;
/** A token this close to its expiry is not used again: a long answer must not outlive it. */
const SESSION_MARGIN_MS = 5 * 60_000;
/** `run/jobs/status` answers at most 10,000 rows (the `limit` cap). */
export const STATUS_ROWS_CAP = 10_000;
/** An answer with this share of `pageLimit` rows is warned about before it is capped. */
const NEAR_CAP_SHARE = 0.8;

export interface ControlmSourceOptions {
  /** The clock session expiry is measured on; tests move it. */
  now?: () => number;
}

/**
 * The Control-M Automation API. `usage` trusts the server's own figure for the current day;
 * `jobs-status` counts the rows of the run's order date itself and says where they go;
 * `usage-report` reads the day's figure from Control-M SaaS's usage report.
 */
export class ControlmSource implements CountSource {
  readonly type = 'controlm';
  readonly name: string;
  readonly countsPastDates: boolean;
  #session: { token: string; expiresAt: number } | undefined;
  readonly #now: () => number;

  constructor(
    private readonly config: ControlmSourceConfig,
    private readonly tls: TlsSettings | undefined,
    options: ControlmSourceOptions = {},
  ) {
    this.name = config.name;
    this.countsPastDates = countsPastDates(config);
    this.#now = options.now ?? Date.now;
  }

  describe(): string {
    const auth = 'apiKey' in this.config.auth ? 'API key' : `login as ${this.config.auth.username}`;
    const countAs = this.config.mode === 'jobs-status' ? `, counting ${this.config.countAs}` : '';
    return `Control-M ${this.config.mode} at ${this.config.endpoint} (${auth}${countAs})`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    switch (this.config.mode) {
      case 'usage':
        return this.withHealth(context, await this.fetchUsage(context));
      case 'usage-report':
        return this.fetchUsageReport(context);
      case 'jobs-status':
        return this.withHealth(context, await this.fetchJobsStatus(context));
    }
  }

  /** Ends the session, if one is open: Control-M keeps a session per login until it expires. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (!session || 'apiKey' in this.config.auth) return;
    await requestJson({
      ...this.base(AbortSignal.timeout(this.config.timeoutMs)),
      url: this.url('session/logout', {}),
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}` },
    });
  }

  private async fetchUsage(context: FetchContext): Promise<SourceFetchResult> {
    const { total, byServer } = readUsageJobs(this.name, await this.get('usage/jobs', {}, context));
    const servers = byServer ? Object.keys(byServer).length : 0;
    return { count: total, ...(byServer ? { breakdown: { byServer } } : {}), note: `${servers} ${servers === 1 ? 'server' : 'servers'}` };
  }

  private async fetchUsageReport(context: FetchContext): Promise<SourceFetchResult> {
    const year = context.businessDate.slice(0, 4);
    const body = await this.get('usage/report', { reportBy: 'day', year }, context);
    const { total, byTenant } = readUsageReportDay(this.name, body, context.businessDate);
    const tenants = Object.keys(byTenant).length;
    return { count: total, breakdown: { byServer: byTenant }, note: `usage report of ${context.businessDate}, ${tenants} ${tenants === 1 ? 'tenant' : 'tenants'}` };
  }

  /**
   * One request, or one per configured partition when a single answer would be capped. Each answer
   * is counted as it streams in; a job in two overlapping partitions (same jobId) counts once.
   */
  private async fetchJobsStatus(context: FetchContext): Promise<SourceFetchResult> {
    const orderDate = controlmOrderDate(context.businessDate);
    const partitions = this.config.partitions.length > 0 ? this.config.partitions : [{}];
    const tally = new StatusTally(this.name, { orderDate, countAs: this.config.countAs });
    const warnings: string[] = [];
    let answerRows = 0;
    for (const partition of partitions) {
      const rows = await this.countStatusPage(partition, orderDate, tally, warnings, context);
      answerRows = Math.max(answerRows, rows);
    }
    const result = tally.result();
    const note = partitions.length > 1 ? `${result.note ?? ''} in ${partitions.length} partitions` : (result.note ?? '');
    const counted: SourceFetchResult = { ...result, note, warnings: [...warnings, ...(result.warnings ?? [])], health: { servers: [], answerRows } };
    if (!this.config.reconcile) return counted;
    // usage/jobs only knows the current day: a past date has nothing to be compared with.
    if (context.businessDate !== context.currentBusinessDate) return { ...counted, note: `${counted.note ?? ''}; not reconciled: usage/jobs only knows ${context.currentBusinessDate}` };
    return this.reconcile(counted, this.config.reconcile.maxDriftPercent, context);
  }

  /** Reads one answer into the tally; returns how many rows it had. */
  private async countStatusPage(partition: Record<string, string>, orderDate: string, tally: StatusTally, warnings: string[], context: FetchContext): Promise<number> {
    // BMC Run service `run/jobs/status`: orderDateFrom/orderDateTo select by order date (YYMMDD, as rows carry it).
    const query = { ...this.config.query, ...partition, orderDateFrom: orderDate, orderDateTo: orderDate, limit: String(this.config.pageLimit) };
    const answer = await this.withAuth(context, (headers) =>
      requestJsonStream(
        { ...this.base(context.signal), url: this.url('run/jobs/status', query), headers },
        { array: 'statuses', fields: ['returned', 'total'], onElement: (row, index) => tally.add(row, `statuses[${index}]`) },
      ),
    );
    const rows = answer.elements ?? 0;
    const where = Object.keys(partition).length > 0 ? ` for ${Object.entries(partition).map(([key, value]) => `${key}=${value}`).join(', ')}` : '';
    // `ctm run status` answers carry startIndex/itemsPerPage/total and no `returned`; an empty answer may have no `statuses` at all.
    const total = answer.fields.total === undefined ? undefined : validateCount(this.name, answer.fields.total, 'total');
    const returned = answer.fields.returned === undefined ? undefined : validateCount(this.name, answer.fields.returned, 'returned');
    if (total === undefined) {
      if (answer.elements === undefined) throw new MissingCountError(this.name, `the answer${where} has neither statuses nor total`);
      warnings.push(`the answer${where} has no total: ${formatCount(rows)} rows counted, a capped answer cannot be told apart`);
    } else if (Math.min(returned ?? rows, rows) < total) {
      throw new SourcePartialError(this.name, `returned ${formatCount(Math.min(returned ?? rows, rows))} of ${formatCount(total)} jobs${where}: counting them would undercount`, {
        hint: `raise pageLimit (now ${formatCount(this.config.pageLimit)}, at most ${formatCount(STATUS_ROWS_CAP)}) or split the query with partitions (e.g. one per application)`,
      });
    }
    if (rows >= this.config.pageLimit * NEAR_CAP_SHARE) {
      warnings.push(`the answer${where} has ${formatCount(rows)} rows, within 20% of pageLimit ${formatCount(this.config.pageLimit)}: split the query with partitions before it is capped`);
    }
    return rows;
  }

  /** Checks the count against the server's own `usage/jobs` figure (same endpoint and auth). */
  private async reconcile(counted: SourceFetchResult, maxDriftPercent: number, context: FetchContext): Promise<SourceFetchResult> {
    const { total: server } = readUsageJobs(this.name, await this.get('usage/jobs', {}, context));
    const drift = Math.abs(counted.count - server);
    const driftPercent = server === 0 ? (drift === 0 ? 0 : 100) : (drift / server) * 100;
    const reconciliation: Reconciliation = { own: counted.count, server, driftPercent, maxDriftPercent };
    const line = `usage/jobs says ${formatCount(server)}: drift ${formatCount(drift)} (${driftPercent.toFixed(1)}%, alert above ${maxDriftPercent}%)`;
    return {
      ...counted,
      metrics: { ...counted.metrics, server_usage: server, drift },
      reconciliation,
      warnings: driftPercent > maxDriftPercent ? [...(counted.warnings ?? []), line] : (counted.warnings ?? []),
      note: `${counted.note ?? ''}; ${line}`,
    };
  }

  /**
   * Adds what `config/servers` says (name, state, version) to a count. Health is recorded, never
   * required: a server that cannot say it is a warning, not a failed count.
   */
  private async withHealth(context: FetchContext, result: SourceFetchResult): Promise<SourceFetchResult> {
    let servers: ServerHealth['servers'];
    try {
      servers = readServers(await this.get('config/servers', {}, context));
    } catch (error) {
      return { ...result, warnings: [...(result.warnings ?? []), `config/servers: ${errorMessage(error)}`] };
    }
    const down = servers.filter((server) => !server.up);
    const said = servers.map((server) => `${server.name} ${server.up ? 'Up' : 'down'}${server.version ? ` ${server.version}` : ''}`).join(', ');
    return {
      ...result,
      breakdown: { ...result.breakdown, serverUp: Object.fromEntries(servers.map((server) => [server.name, server.up ? 1 : 0])) },
      health: { ...result.health, servers },
      note: `${result.note ?? ''}; servers: ${said || 'none'}`,
      warnings: down.length > 0 ? [...(result.warnings ?? []), `Control-M servers not Up: ${down.map((server) => server.name).join(', ')}`] : (result.warnings ?? []),
    };
  }

  private async get(path: string, query: Record<string, string>, context: FetchContext): Promise<unknown> {
    return this.withAuth(context, (headers) => requestJson({ ...this.base(context.signal), url: this.url(path, query), headers }));
  }

  private async withAuth<T>(context: FetchContext, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
    try {
      return await call(await this.authHeaders(context));
    } catch (error) {
      // A session ended early on the server (restart, admin): log in again once. A 403 is a
      // permission the user lacks, which a new session would not have either.
      if (!(error instanceof SourceAuthError) || error.httpStatus !== 401 || 'apiKey' in this.config.auth || this.#session === undefined) throw error;
      this.#session = undefined;
      context.logger.info({ source: this.name }, 'Control-M session expired; logging in again');
      return call(await this.authHeaders(context));
    }
  }

  private async authHeaders(context: FetchContext): Promise<Record<string, string>> {
    const auth = this.config.auth;
    if ('apiKey' in auth) return { 'x-api-key': auth.apiKey.reveal() };
    if (!this.#session || this.#now() >= this.#session.expiresAt - SESSION_MARGIN_MS) {
      const loggedInAt = this.#now();
      this.#session = { token: await this.login(auth.username, auth.password.reveal(), context), expiresAt: loggedInAt + SESSION_LIFETIME_MS };
    }
    return { authorization: `Bearer ${this.#session.token}` };
  }

  private async login(username: string, password: string, context: FetchContext): Promise<string> {
    const body = await requestJson({ ...this.base(context.signal), url: this.url('session/login', {}), method: 'POST', body: { username, password } });
    const token = (body as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') {
      throw new SourceAuthError(this.name, 'session/login answered without a token', { hint: 'check the endpoint is the Automation API base URL' });
    }
    return token;
  }

  private base(signal: AbortSignal) {
    return { source: this.name, timeoutMs: this.config.timeoutMs, signal, tls: this.tls };
  }

  private url(path: string, query: Record<string, string>): URL {
    const endpoint = this.config.endpoint.endsWith('/') ? this.config.endpoint : `${this.config.endpoint}/`;
    const url = new URL(path, endpoint);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }
}

/** `config/servers`: `[{"name","state","version"}]` (state `Up` when the server is connected). */
function readServers(body: unknown): ServerHealth['servers'] {
  if (!Array.isArray(body)) throw new Error('the answer is not a list of servers');
  return body.map((entry: unknown, index) => {
    const { name, state, version } = (entry ?? {}) as { name?: unknown; state?: unknown; version?: unknown };
    return {
      name: typeof name === 'string' && name ? name : `(server ${index + 1})`,
      up: typeof state === 'string' && state.toLowerCase() === 'up',
      version: typeof version === 'string' && version ? version : undefined,
    };
  });
}
