import type { Logger } from 'pino';
import { clientNamed, scopeOf, type ClientConfig } from '../config/clients.js';
import type { Config } from '../config/load.js';
import type { Span } from '@opentelemetry/api';
import { withSpan } from '../telemetry/tracing.js';
import { ConflictError, errorMessage, InputError, NotFoundError, ServiceUnavailableError } from '../errors.js';
import { DEFAULT_CLIENT, parseJobParameters } from '../jobs/catalog.js';
import { statusName, type RunsRepository } from '../persistence/runs-repository.js';
import { RUN_STATUS, type JobLog, type RunTrigger } from '../persistence/schema.js';
import type { RunWriter } from '../persistence/writer.js';
import { queuedLine } from '../runs/log-lines.js';
import { businessDateOf, parseRunRef } from '../runs/names.js';
import type { FlowQueue } from '../queues/flows.js';
import { aggregateJobId, fetchJobId, QUEUE_NAMES } from '../queues/names.js';
import { uncountableDateReason } from '../sources/business-dates.js';
import { BACKOFF_TYPE } from './backoff.js';
import type { AggregateJobData, FetchJobData } from './job-data.js';

export interface EnqueueRequest {
  job?: string;
  parameters?: unknown;
  trigger: RunTrigger;
  /** The same key always means the same run: scheduler ticks, API retries of one request. */
  idempotencyKey?: string | undefined;
}

export interface EnqueuedRun {
  id: number;
  name: string;
  client: string;
  businessDate: string;
  sources: string[];
  /** False when the idempotency key matched an existing run. */
  created: boolean;
}

export interface RunProducerDeps {
  config: Pick<Config, 'limit' | 'timezone' | 'newDayTime' | 'sources' | 'queue' | 'clients' | 'clientsDeclared' | 'license'>;
  runs: RunsRepository;
  writer: RunWriter;
  flows: Pick<FlowQueue, 'add'>;
  logger: Logger;
  now?: () => Date;
}

/**
 * The only way runs start (schedule, CLI, dashboard, API): a pending job_logs row first, so nothing
 * is lost, then the BullMQ flow. If the flow cannot be queued, the run is marked error at once.
 */
export class RunProducer {
  constructor(private readonly deps: RunProducerDeps) {}

  async enqueueRun(request: EnqueueRequest): Promise<EnqueuedRun> {
    const { config } = this.deps;
    const job = request.job ?? 'license-count';
    const raw = request.parameters ?? {};
    const given = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, client: (raw as { client?: unknown }).client ?? this.defaultClient(raw) } : raw;
    const parameters = parseJobParameters(job, given);
    const client = this.client(parameters.client);
    const sources = parameters.sources ?? client.sources;
    const outside = sources.filter((source) => !client.sources.includes(source));
    if (outside.length > 0) {
      const configured = config.sources.map((source) => source.name);
      const unknown = outside.filter((source) => !configured.includes(source));
      throw unknown.length > 0
        ? new InputError(`unknown source ${unknown.join(', ')}`, [{ path: 'sources', message: `configured sources are ${configured.join(', ')}` }])
        : new InputError(`not a source of client ${client.name}: ${outside.join(', ')}`, [{ path: 'sources', message: `sources of client ${client.name} are ${client.sources.join(', ')}` }]);
    }
    const now = this.deps.now?.() ?? new Date();
    const businessDate = parameters.date ?? businessDateOf(now, config.timezone, config.newDayTime);
    this.assertCountable(businessDate, sources, now);
    const snapshot = { ...parameters, sources, limit: client.limit };
    return this.createAndQueue({
      job,
      client: client.name,
      parameters: snapshot,
      scope: { sources, limit: client.limit, complete: scopeOf(client, sources).complete },
      trigger: request.trigger,
      businessDate,
      idempotencyKey: request.idempotencyKey,
      now,
    });
  }

  /** A run names its client, or gets the only one there is; with several declared, it must name one. */
  private defaultClient(parameters: unknown): string {
    const { clients, clientsDeclared } = this.deps.config;
    const named = typeof parameters === 'object' && parameters !== null && (parameters as { client?: unknown }).client !== undefined;
    if (named || !clientsDeclared || clients.length === 1) return clients[0]?.name ?? DEFAULT_CLIENT;
    throw new InputError('which client? several are configured', [{ path: 'client', message: `configured clients are ${clients.map((client) => client.name).join(', ')}` }]);
  }

  private client(name: string): ClientConfig {
    const client = clientNamed(this.deps.config, name);
    if (!client) {
      throw new InputError(`unknown client ${name}`, [{ path: 'client', message: `configured clients are ${this.deps.config.clients.map((known) => known.name).join(', ')}` }]);
    }
    return client;
  }

  /** A failed run runs again as a new run linked to it (retried_from, retry_count + 1). */
  async retryRun(reference: string, trigger: RunTrigger = 'retry'): Promise<EnqueuedRun> {
    const original = await this.findRun(reference);
    if (original.status !== RUN_STATUS.error) {
      throw new ConflictError(`run ${original.name} is ${statusName(original.status)}, only failed runs can be retried`, {
        hint: 'start a new run instead',
      });
    }
    // A retry is a new count: the original's sources (a partial run stays partial), judged by the
    // client's scope and limit of today. The original keeps the scope it was run with.
    const parameters = original.parameters;
    const client = this.client(original.client);
    const sources = original.scopeSources ?? (Array.isArray(parameters.sources) ? (parameters.sources as string[]) : client.sources);
    const now = this.deps.now?.() ?? new Date();
    this.assertCountable(original.businessDate, sources, now);
    return this.createAndQueue({
      job: original.job,
      client: original.client,
      parameters: { ...parameters, sources, limit: client.limit },
      scope: { sources, limit: client.limit, complete: scopeOf(client, sources).complete },
      trigger,
      businessDate: original.businessDate,
      retriedFrom: original.name,
      retryCount: original.retryCount + 1,
      now,
    });
  }

  /** A run that would store one day's figure under another date is refused before it exists. */
  private assertCountable(businessDate: string, sourceNames: readonly string[], now: Date): void {
    const { config } = this.deps;
    const sources = config.sources.filter((source) => sourceNames.includes(source.name));
    const reason = uncountableDateReason(businessDate, sources, config, now);
    if (reason === undefined) return;
    throw new InputError(reason, [{ path: 'date', message: 'leave the date out to count the current Control-M day; past dates need sources that keep them (controlm jobs-status or usage-report)' }]);
  }

  async findRun(reference: string): Promise<JobLog> {
    const { name } = parseRunRef(reference);
    const run = await this.deps.runs.findByName(name);
    if (!run) throw new NotFoundError(`run ${reference} not found`, { hint: 'list runs with `jobtally runs list`' });
    return run;
  }

  private async createAndQueue(input: {
    job: string;
    client: string;
    parameters: Record<string, unknown> & { sources: string[]; limit: number };
    scope: { sources: string[]; limit: number; complete: boolean };
    trigger: RunTrigger;
    businessDate: string;
    idempotencyKey?: string | undefined;
    retriedFrom?: string;
    retryCount?: number;
    now: Date;
  }): Promise<EnqueuedRun> {
    return withSpan('enqueue run', { 'jobtally.trigger': input.trigger, 'jobtally.client': input.client }, (span) => this.createAndQueueTraced(input, span));
  }

  private async createAndQueueTraced(input: Parameters<RunProducer['createAndQueue']>[0], span: Span): Promise<EnqueuedRun> {
    const { runs, logger } = this.deps;
    const { run, created } = await runs.createRun({
      job: input.job,
      client: input.client,
      parameters: input.parameters,
      scope: input.scope,
      trigger: input.trigger,
      businessDate: input.businessDate,
      retriedFrom: input.retriedFrom,
      retryCount: input.retryCount ?? 0,
      idempotencyKey: input.idempotencyKey,
      firstLine: queuedLine({ trigger: input.trigger, ...input.scope, of: clientNamed(this.deps.config, input.client)?.sources, businessDate: input.businessDate, retriedFrom: input.retriedFrom }),
      now: input.now,
    });
    span.setAttribute('jobtally.run', run.name);
    // A run found again by its idempotency key keeps the scope it was created with.
    const sources = run.scopeSources ?? input.scope.sources;
    const limit = run.scopeLimit ?? input.scope.limit;
    const enqueued: EnqueuedRun = { id: run.id, name: run.name, client: run.client, businessDate: run.businessDate, sources, created };
    // A run found again by its idempotency key is queued again too: the flow's job ids make that a
    // no-op when it is already in Redis, and repair a crash between the insert and the queueing.
    if (run.status !== RUN_STATUS.pending && !created) return enqueued;
    try {
      await this.addFlow({
        runId: run.id,
        runName: run.name,
        client: run.client,
        businessDate: run.businessDate,
        sources,
        limit,
        complete: run.complete,
        scopeOf: clientNamed(this.deps.config, run.client)?.sources ?? sources,
        queuedAt: run.createdAt.getTime(),
        trigger: input.trigger,
      });
    } catch (cause) {
      const reason = `could not queue the run: ${errorMessage(cause)}`;
      await this.deps.writer.failRun(run.id, reason, [{ level: 'error', message: reason }]).catch((writeError: unknown) => {
        logger.error({ err: writeError, run: run.name }, 'could not mark an unqueued run as error');
      });
      throw new ServiceUnavailableError(`run ${run.name} ${reason}`, { cause, hint: 'check that Redis is reachable, then retry the run' });
    }
    logger.info({ run: run.name, trigger: input.trigger, sources, created }, 'run queued');
    return enqueued;
  }

  private async addFlow(data: AggregateJobData): Promise<void> {
    const { queue } = this.deps.config;
    const retry = { attempts: queue.attempts, backoff: { type: BACKOFF_TYPE, delay: queue.backoffMs } };
    const retention = { removeOnComplete: { count: queue.keepCompleted }, removeOnFail: { count: queue.keepFailed } };
    await this.deps.flows.add({
      name: 'aggregate',
      queueName: QUEUE_NAMES.aggregate,
      data,
      opts: { jobId: aggregateJobId(data.runName), ...retry, ...retention },
      children: data.sources.map((source) => ({
        name: 'fetch',
        queueName: QUEUE_NAMES.fetch,
        data: { runId: data.runId, runName: data.runName, client: data.client, businessDate: data.businessDate, trigger: data.trigger, source } satisfies FetchJobData,
        opts: { jobId: fetchJobId(data.runName, source), failParentOnFailure: true, ...retry, ...retention },
      })),
    });
  }
}
