import { FakeHttpServer, type RecordedRequest, type Reply } from './fake-http.js';

export interface SimulatedJob {
  jobId: string;
  name: string;
  folder: string;
  type: string;
  status: string;
  application: string;
  subApplication: string;
  ctm: string;
  held: boolean;
  deleted: boolean;
}

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
 * A local Control-M Automation API: session login, `usage/jobs` and `run/jobs/status`, with the
 * real answer shapes and `{"errors":[...]}` failures. Tests script odd answers on top.
 */
export class ControlmSimulator {
  readonly tokens = new Set<string>();
  #issued = 0;

  private constructor(
    readonly http: FakeHttpServer,
    private readonly options: ControlmSimulatorOptions,
  ) {}

  static async start(options: ControlmSimulatorOptions): Promise<ControlmSimulator> {
    const simulator = new ControlmSimulator(await FakeHttpServer.start(), options);
    simulator.http
      .route('POST', `${BASE_PATH}/session/login`, (request) => simulator.login(request))
      .route('GET', `${BASE_PATH}/usage/jobs`, (request) => simulator.authorized(request, () => simulator.usage()))
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

  private statuses(request: RecordedRequest): Reply {
    const limit = Math.min(Number(request.query.get('limit') ?? 1000), this.options.maxRows ?? Infinity);
    if (this.options.streamed) return { stream: () => streamStatuses(this.options.streamed as StreamedJobs, limit) };
    const filters = (['application', 'folder', 'ctm', 'status'] as const).filter((key) => request.query.has(key));
    const jobs = (this.options.jobs ?? []).filter((job) => filters.every((key) => job[key] === request.query.get(key)));
    const statuses = jobs.slice(0, limit);
    return { body: { statuses, returned: statuses.length, total: jobs.length } };
  }
}

/** `count` jobs spread over statuses and applications, plus folder rows that must not count. */
export function simulatedJobs(count: number, folders = 0): SimulatedJob[] {
  const statuses = ['Ended OK', 'Ended OK', 'Ended OK', 'Ended Not OK', 'Executing', 'Wait Condition'];
  const jobs: SimulatedJob[] = [];
  for (let index = 0; index < folders; index++) jobs.push(job(`folder-${index}`, 'Folder', 'Ended OK', 'FIN'));
  for (let index = 0; index < count; index++) {
    jobs.push(job(`job-${index}`, 'Command', statuses[index % statuses.length] ?? 'Ended OK', index % 3 === 0 ? 'HR' : 'FIN'));
  }
  return jobs;
}

function job(name: string, type: string, status: string, application: string): SimulatedJob {
  return { jobId: `ctm01:${name}`, name, folder: 'DAILY', type, status, application, subApplication: `${application}-batch`, ctm: 'ctm01', held: false, deleted: false };
}

/**
 * The statuses answer of `streamed`, a chunk of rows at a time, in the order Control-M sends it:
 * `statuses` first, the counters after. Row `i` is `simulatedJobs`-like: folders first, then jobs
 * cycling through the same statuses and applications.
 */
function* streamStatuses(streamed: StreamedJobs, limit: number): Generator<string> {
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
      rows.push(JSON.stringify(index < folders ? fullRow(`folder-${index}`, 'Folder', 'Ended OK', 'FIN') : streamedJob(index - folders)));
    }
    yield emit(`${start > 0 ? ',' : ''}${rows.join(',')}`);
    streamed.onChunk?.(sent);
  }
  yield emit(`],"startIndex":0,"itemsPerPage":${limit},"returned":${returned},"total":${total}}`);
  streamed.onChunk?.(sent);
}

const STREAMED_STATUSES = ['Ended OK', 'Ended OK', 'Ended OK', 'Ended Not OK', 'Executing', 'Wait Condition'];

function streamedJob(index: number) {
  return fullRow(`job-${index}`, 'Command', STREAMED_STATUSES[index % STREAMED_STATUSES.length] ?? 'Ended OK', index % 3 === 0 ? 'HR' : 'FIN');
}

/** A row with the fields a Control-M 9.21 server sends (about 750 bytes), not only the counted ones. */
function fullRow(name: string, type: string, status: string, application: string) {
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
    orderDate: '261124',
    ctm: 'ctm01',
    description: `Nightly batch step ${name} of the DAILY folder: loads, transforms and reconciles the ledger extracts`,
    host: 'batch-host-01.example.internal',
    application,
    subApplication: `${application}-batch`,
    outputURI: `https://ctm.example.internal:8443/automation-api/run/job/${jobId}/output`,
    logURI: `https://ctm.example.internal:8443/automation-api/run/job/${jobId}/log`,
  };
}
