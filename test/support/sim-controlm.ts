import { FakeHttpServer, type RecordedRequest, type Reply } from './fake-http.js';

export interface SimulatedJob {
  jobId: string;
  /** The jobId of the folder row holding it (real rows always carry one). */
  folderId: string;
  /** Runs so far: 0 for a job still waiting, more than 1 for a cyclic or rerun job. */
  numberOfRuns: number;
  name: string;
  folder: string;
  type: string;
  status: string;
  application: string;
  subApplication: string;
  ctm: string;
  held: boolean;
  deleted: boolean;
  cyclic: boolean;
  /** YYMMDD; absent: the order date the request asks for (the day's own jobs). */
  orderDate?: string;
}

/** How `run/jobs/status` frames its rows, after the public answers it imitates. */
export type StatusAnswerShape =
  /** `ctm run jobs:status::get` / `ctm run status`: startIndex, itemsPerPage, total, no `returned`; no `statuses` when empty. */
  | 'run-status'
  /** Newer servers: the same plus `returned`. */
  | 'with-returned'
  /** DataDog integrations-core `control_m` fixture: `statuses` only, sparse rows. */
  | 'statuses-only';

export interface ControlmSimulatorOptions {
  apiKey?: string;
  username?: string;
  password?: string;
  /** Per-server execution counts for `usage/jobs`. */
  usage?: Record<string, number>;
  jobs?: SimulatedJob[];
  /** The most rows `run/jobs/status` returns, whatever `limit` asks: a capped answer is partial. */
  maxRows?: number;
  /**
   * Instead of `jobs`: `run/jobs/status` generates this many full-size rows (every field a real
   * server sends) while it streams them, so a large answer never sits in the test's memory either.
   * Filters are ignored; `limit` and `maxRows` cap it as usual.
   */
  streamed?: StreamedJobs;
  /** Default `run-status`, the shape of BMC's and the workbench's answers. */
  answerShape?: StatusAnswerShape;
  /** A server that ignores orderDateFrom/orderDateTo and answers the whole active environment. */
  ignoresOrderDate?: boolean;
  /** `config/servers`; default one server `ctm01`, Up. */
  servers?: { name: string; state: string; version: string }[];
  /** Control-M SaaS `usage/report?reportBy=day`: per day (YYYY-MM-DD), per tenant, the jobs executed. */
  usageReport?: Record<string, Record<string, number>>;
}

export interface StreamedJobs {
  jobs: number;
  folders?: number;
  rowsPerChunk?: number;
  /** Called after each chunk is handed to the socket, with the bytes sent so far. */
  onChunk?: (bytesSent: number) => void;
}

export const BASE_PATH = '/automation-api';

/**
 * A local Control-M Automation API: session login/logout, `usage/jobs`, `run/jobs/status`,
 * `config/servers` and the SaaS `usage/report`, answering field for field like the public
 * examples (BMC's service docs, controlm/workbench, DataDog's `control_m` fixtures), omissions
 * included, with `{"errors":[...]}` failures. Tests script odd answers on top.
 */
export class ControlmSimulator {
  readonly tokens = new Set<string>();
  readonly loggedOut: string[] = [];
  #issued = 0;

  private constructor(
    readonly http: FakeHttpServer,
    private readonly options: ControlmSimulatorOptions,
  ) {}

  static async start(options: ControlmSimulatorOptions): Promise<ControlmSimulator> {
    const simulator = new ControlmSimulator(await FakeHttpServer.start(), options);
    simulator.http
      .route('POST', `${BASE_PATH}/session/login`, (request) => simulator.login(request))
      .route('POST', `${BASE_PATH}/session/logout`, (request) => simulator.authorized(request, () => simulator.logout(request)))
      .route('GET', `${BASE_PATH}/usage/jobs`, (request) => simulator.authorized(request, () => simulator.usage()))
      .route('GET', `${BASE_PATH}/usage/report`, (request) => simulator.authorized(request, () => simulator.usageReport(request)))
      .route('GET', `${BASE_PATH}/config/servers`, (request) => simulator.authorized(request, () => ({ body: simulator.options.servers ?? [{ name: 'ctm01', state: 'Up', version: '9.0.21.200' }] })))
      .route('GET', `${BASE_PATH}/run/jobs/status`, (request) => simulator.authorized(request, () => simulator.statuses(request)));
    return simulator;
  }

  get endpoint(): string {
    return `${this.http.url}${BASE_PATH}`;
  }

  script(method: 'GET' | 'POST', path: string, replies: Reply[]): void {
    this.http.script(method, `${BASE_PATH}/${path}`, replies);
  }

  /** Sessions end on the server side; clients must log in again. */
  expireSessions(): void {
    this.tokens.clear();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private login(request: RecordedRequest): Reply {
    const body = request.body as { username?: unknown; password?: unknown } | undefined;
    if (!body || body.username !== this.options.username || body.password !== this.options.password) {
      return { status: 401, body: { errors: [{ message: 'Login failed: wrong user name or password' }] } };
    }
    const token = `token-${++this.#issued}`;
    this.tokens.add(token);
    return { body: { username: body.username, token, version: '9.21.200' } };
  }

  private logout(request: RecordedRequest): Reply {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    this.tokens.delete(token);
    this.loggedOut.push(token);
    return { body: { message: `Successfully logged out from session ${token}` } };
  }

  private authorized(request: RecordedRequest, answer: () => Reply): Reply {
    const apiKey = request.headers['x-api-key'];
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const ok = (this.options.apiKey !== undefined && apiKey === this.options.apiKey) || (bearer !== undefined && this.tokens.has(bearer));
    return ok ? answer() : { status: 401, body: { errors: [{ message: 'Unauthorized: the token or API key is invalid or expired' }] } };
  }

  private usage(): Reply {
    const servers = Object.entries(this.options.usage ?? {});
    return {
      body: {
        usage: servers.map(([server, jobExecution]) => ({ server, jobExecution })),
        totalJobExecution: servers.reduce((sum, [, count]) => sum + count, 0),
      },
    };
  }

  /** One entry per tenant with its days of the asked year; days not reported yet are absent. */
  private usageReport(request: RecordedRequest): Reply {
    const year = request.query.get('year') ?? String(new Date().getUTCFullYear());
    const tenants = new Map<string, { date: string; jobExecutions: number }[]>();
    for (const [date, perTenant] of Object.entries(this.options.usageReport ?? {})) {
      if (!date.startsWith(year)) continue;
      for (const [tenant, jobExecutions] of Object.entries(perTenant)) tenants.set(tenant, [...(tenants.get(tenant) ?? []), { date, jobExecutions }]);
    }
    return { body: { reportBy: request.query.get('reportBy') ?? 'month', year: Number(year), tenants: [...tenants].map(([tenant, days]) => ({ tenant, days })) } };
  }

  private statuses(request: RecordedRequest): Reply {
    const limit = Math.min(Number(request.query.get('limit') ?? 1000), this.options.maxRows ?? Infinity);
    const asked = request.query.get('orderDateFrom') ?? undefined;
    if (this.options.streamed) return { stream: () => streamStatuses(this.options.streamed as StreamedJobs, limit, asked ?? '261124') };
    const filters = (['application', 'folder', 'ctm', 'status'] as const).filter((key) => request.query.has(key));
    const from = this.options.ignoresOrderDate ? undefined : asked;
    const to = this.options.ignoresOrderDate ? undefined : (request.query.get('orderDateTo') ?? undefined);
    const jobs = (this.options.jobs ?? [])
      .map((job) => ({ ...job, orderDate: job.orderDate ?? asked ?? '261124' }))
      .filter((job) => filters.every((key) => job[key] === request.query.get(key)))
      .filter((job) => (from === undefined || job.orderDate >= from) && (to === undefined || job.orderDate <= to));
    const statuses = jobs.slice(0, limit);
    return { body: frame(this.options.answerShape ?? 'run-status', statuses, limit, jobs.length) };
  }
}

function frame(shape: StatusAnswerShape, statuses: object[], limit: number, total: number): object {
  switch (shape) {
    case 'statuses-only':
      return { statuses };
    case 'with-returned':
      return { statuses, startIndex: 0, itemsPerPage: limit, returned: statuses.length, total };
    case 'run-status':
      return statuses.length > 0 ? { statuses, startIndex: 0, itemsPerPage: limit, total } : { startIndex: 0, itemsPerPage: limit, total };
  }
}

/** `count` jobs spread over statuses and applications, plus folder rows that must not count. */
export function simulatedJobs(count: number, folders = 0): SimulatedJob[] {
  const statuses = ['Ended OK', 'Ended OK', 'Ended OK', 'Ended Not OK', 'Executing', 'Wait Condition'];
  const jobs: SimulatedJob[] = [];
  for (let index = 0; index < folders; index++) jobs.push(simulatedJob({ name: `folder-${index}`, type: 'Folder', status: 'Ended OK', application: 'FIN' }));
  for (let index = 0; index < count; index++) {
    const status = statuses[index % statuses.length] ?? 'Ended OK';
    jobs.push(simulatedJob({ name: `job-${index}`, type: 'Command', status, application: index % 3 === 0 ? 'HR' : 'FIN', numberOfRuns: status === 'Wait Condition' ? 0 : 1 }));
  }
  return jobs;
}

/** One row as a Control-M 9.0.21 server lists it; `name` makes its jobId (`ctm01:<name>`). */
export function simulatedJob(fields: Partial<SimulatedJob> & { name: string }): SimulatedJob {
  const application = fields.application ?? 'FIN';
  return {
    jobId: `ctm01:${fields.name}`,
    folderId: 'ctm01:folder-0',
    numberOfRuns: 1,
    folder: 'DAILY',
    type: 'Command',
    status: 'Ended OK',
    subApplication: `${application}-batch`,
    ctm: 'ctm01',
    held: false,
    deleted: false,
    cyclic: false,
    ...fields,
    application,
  };
}

/**
 * The statuses answer of `streamed`, a chunk of rows at a time, in the order Control-M sends it:
 * `statuses` first, the counters after. Row `i` is `simulatedJobs`-like: folders first, then jobs
 * cycling through the same statuses and applications.
 */
function* streamStatuses(streamed: StreamedJobs, limit: number, orderDate: string): Generator<string> {
  const folders = streamed.folders ?? 0;
  const total = folders + streamed.jobs;
  const returned = Math.min(total, limit);
  const rowsPerChunk = streamed.rowsPerChunk ?? 100;
  let sent = 0;
  const emit = (piece: string) => {
    sent += Buffer.byteLength(piece);
    return piece;
  };
  yield emit('{"statuses":[');
  for (let start = 0; start < returned; start += rowsPerChunk) {
    const rows: string[] = [];
    for (let index = start; index < Math.min(start + rowsPerChunk, returned); index++) {
      rows.push(JSON.stringify(index < folders ? fullRow(`folder-${index}`, 'Folder', 'Ended OK', 'FIN', orderDate) : streamedJob(index - folders, orderDate)));
    }
    yield emit(`${start > 0 ? ',' : ''}${rows.join(',')}`);
    streamed.onChunk?.(sent);
  }
  yield emit(`],"startIndex":0,"itemsPerPage":${limit},"total":${total}}`);
  streamed.onChunk?.(sent);
}

const STREAMED_STATUSES = ['Ended OK', 'Ended OK', 'Ended OK', 'Ended Not OK', 'Executing', 'Wait Condition'];

function streamedJob(index: number, orderDate: string) {
  return fullRow(`job-${index}`, 'Command', STREAMED_STATUSES[index % STREAMED_STATUSES.length] ?? 'Ended OK', index % 3 === 0 ? 'HR' : 'FIN', orderDate);
}

/** A row with the fields a Control-M 9.21 server sends (about 750 bytes), not only the counted ones. */
function fullRow(name: string, type: string, status: string, application: string, orderDate: string) {
  const jobId = `ctm01:${name}`;
  return {
    jobId,
    folderId: 'ctm01:0004f',
    numberOfRuns: 1,
    name,
    folder: 'DAILY',
    type,
    status,
    held: false,
    deleted: false,
    cyclic: false,
    startTime: '20261124053012',
    endTime: '20261124053517',
    estimatedStartTime: ['20261124053000'],
    estimatedEndTime: ['20261124053500'],
    orderDate,
    ctm: 'ctm01',
    description: `Nightly batch step ${name} of the DAILY folder: loads, transforms and reconciles the ledger extracts`,
    host: 'batch-host-01.example.internal',
    application,
    subApplication: `${application}-batch`,
    outputURI: `https://ctm.example.internal:8443/automation-api/run/job/${jobId}/output`,
    logURI: `https://ctm.example.internal:8443/automation-api/run/job/${jobId}/log`,
  };
}
