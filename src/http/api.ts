import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseFields } from '../config/issues.js';
import { calendarDate } from '../config/schema.js';
import { InputError } from '../errors.js';
import { JOB_CATALOG } from '../jobs/catalog.js';
import type { AppContext } from '../lifecycle/app.js';
import type { AuditRepository } from '../persistence/audit-repository.js';
import { statusName, type RunListRow } from '../persistence/runs-repository.js';
import { toShortId } from '../runs/names.js';
import { principalOf, type Authenticator, type Principal } from './auth.js';
import { findRunByPath } from './run-ref.js';
import { clientCompleteness, totalsReport } from './totals-report.js';
import { gaps } from '../insight/completeness.js';
import { addDays } from '../insight/calendar.js';
import { HttpError } from './errors.js';
import { encodeCursor, parseRunListQuery, runListQuerySchema } from './run-query.js';

const createRunBody = z.strictObject({
  job: z.string().default('license-count'),
  parameters: z.record(z.string(), z.unknown()).default({}),
  idempotencyKey: z.string().min(1).max(200).optional(),
});

const totalsQuery = z.strictObject({
  client: z.string().optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
});

const completenessQuery = totalsQuery.extend({ client: z.string().min(1) });

/** `to` defaults to today (UTC), `from` to 29 days before `to`. */
export function defaultRange<T extends { from?: string | undefined; to?: string | undefined; client?: string | undefined }>(query: T): Omit<T, 'from' | 'to'> & { from: string; to: string; client: T['client'] } {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  return { ...query, to, from: query.from ?? addDays(to, -29), client: query.client };
}

/** A run as the JSON API shows it. */
export function runSummary(row: RunListRow) {
  return {
    name: row.name,
    id: toShortId(row.name),
    client: row.client,
    job: row.job,
    status: statusName(row.status),
    trigger: row.trigger,
    total: row.total,
    limit: row.limit,
    retryCount: row.retryCount,
    retriedFrom: row.retriedFrom,
    businessDate: row.businessDate,
    scope: { sources: row.scopeSources, limit: row.scopeLimit, complete: row.complete },
    countedTotal: row.countedTotal,
    createdAt: row.createdAt.toISOString(),
    startedAt: isoOrNull(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
    message: row.message,
  };
}

/**
 * The text JSON.stringify writes for a date, written here: stringify calling each Date's toJSON
 * cost about as much as the rest of the run list's serialization.
 */
function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/**
 * `/api`: HTTP Basic (or the open local mode), JSON in and out. Writes need an operator and a JSON
 * content type, which a cross-site form cannot send.
 */
export function createApiRouter(app: AppContext, audit: AuditRepository, auth: Authenticator): express.Router {
  const router = express.Router();
  const requireUser = (_request: Request, response: Response, next: NextFunction) => {
    if (principalOf(response)) {
      next();
      return;
    }
    response.set('www-authenticate', 'Basic realm="jobtally", charset="UTF-8"');
    response.status(401).json({ error: { code: 'UNAUTHORIZED', message: 'send HTTP Basic credentials of a configured user' } });
  };
  const requireOperatorJson = (request: Request, response: Response, next: NextFunction) => {
    if (principalOf(response)?.role !== 'operator') throw new HttpError(403, 'FORBIDDEN', 'operators only: your role can read but not act');
    if (!auth.open && !request.headers.authorization) throw new HttpError(401, 'UNAUTHORIZED', 'API writes need HTTP Basic credentials');
    if (!request.is('application/json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send a JSON body (content-type: application/json)');
    next();
  };
  const record = (request: Request, response: Response, action: string, target: string | null, outcome: string, details: Record<string, unknown>) => {
    const principal = principalOf(response) as Principal;
    return audit.record({ actor: principal.name, role: principal.role, action, target, address: request.ip ?? null, outcome, details });
  };

  router.use(requireUser);
  router.get('/openapi.json', (_request, response) => void response.json(openApiDocument()));
  router.get('/runs', async (request, response) => {
    const list = parseRunListQuery(request.query);
    const page = await app.runs.listRuns(list.filters, { limit: list.query.limit, cursor: list.cursor, sort: list.sort });
    response.json({ runs: page.rows.map(runSummary), nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null });
  });
  router.get('/runs/:ref', async (request, response) => {
    const run = await findRunByPath(app.producer, String(request.params.ref));
    const detail = await app.runs.detailOf(run);
    response.json({
      run: runSummary({ ...detail.run, total: detail.total?.total ?? null, limit: detail.total?.limit ?? null }),
      counts: detail.counts.map((count) => ({ source: count.source, count: count.count, durationMs: count.durationMs, breakdown: count.breakdown })),
      details: detail.details.map((line) => ({ at: line.createdAt, level: line.level, source: line.source, message: line.message })),
      retries: detail.retries.map((retry) => ({ name: retry.name, status: statusName(retry.status) })),
      metrics: detail.metrics.map((metric) => ({ source: metric.source, metric: metric.metric, rule: metric.rule, value: metric.value })),
    });
  });
  router.post('/runs', requireOperatorJson, async (request, response) => {
    const parsed = parseFields(createRunBody, request.body, { root: 'body' });
    if (!parsed.success) throw new InputError('invalid request body', parsed.issues);
    const { job, parameters, idempotencyKey } = parsed.data;
    try {
      const run = await app.producer.enqueueRun({ job, parameters, trigger: 'api', idempotencyKey: idempotencyKey ? `api:${idempotencyKey}` : undefined });
      await record(request, response, 'run.start', run.name, run.created ? 'queued' : 'duplicate', { job, parameters });
      response.status(run.created ? 201 : 200).location(`/api/runs/${run.name}`).json({ name: run.name, id: toShortId(run.name), created: run.created, sources: run.sources });
    } catch (error) {
      await record(request, response, 'run.start', null, 'rejected', { job, parameters });
      throw error;
    }
  });
  router.post('/runs/:ref/retry', requireOperatorJson, async (request, response) => {
    const reference = String(request.params.ref);
    try {
      const run = await app.producer.retryRun(reference, 'retry');
      await record(request, response, 'run.retry', run.name, 'queued', { retriedFrom: reference });
      response.status(201).location(`/api/runs/${run.name}`).json({ name: run.name, id: toShortId(run.name), retriedFrom: reference });
    } catch (error) {
      await record(request, response, 'run.retry', reference, 'rejected', {});
      throw error;
    }
  });
  router.get('/totals', async (request, response) => {
    const parsed = parseFields(totalsQuery, request.query);
    if (!parsed.success) throw new InputError('invalid totals query', parsed.issues);
    const report = await totalsReport(app, defaultRange(parsed.data));
    response.json({ limit: app.config.limit, ...report });
  });
  router.get('/completeness', async (request, response) => {
    const parsed = parseFields(completenessQuery, request.query);
    if (!parsed.success) throw new InputError('invalid completeness query', parsed.issues);
    const { client, from, to } = defaultRange(parsed.data);
    const dates = await clientCompleteness(app, client, from, to);
    response.json({ client, from, to, dates, gaps: gaps(dates).map((gap) => gap.date) });
  });
  return router;
}

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, fields: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } }, required: ['code', 'message'] } },
};

/** Generated from the same zod schemas that validate requests, so the document cannot drift. */
export function openApiDocument() {
  const listParameters = Object.keys(runListQuerySchema.shape).map((name) => ({ name, in: 'query', required: false, schema: z.toJSONSchema(runListQuerySchema.shape[name as keyof typeof runListQuerySchema.shape], { io: 'input' }) }));
  const errors = Object.fromEntries(['400', '401', '403', '404', '409', '415', '422'].map((code) => [code, { description: 'error', content: { 'application/json': { schema: errorSchema } } }]));
  const ref = { name: 'ref', in: 'path', required: true, schema: { type: 'string' }, description: 'run name or short id' };
  return {
    openapi: '3.1.0',
    info: { title: 'jobtally API', version: '1' },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
    security: [{ basic: [] }],
    paths: {
      '/api/runs': {
        get: { summary: 'List runs (keyset-paginated)', parameters: listParameters, responses: { '200': { description: 'a page of runs; pass nextCursor as cursor' }, ...errors } },
        post: {
          summary: 'Start a run',
          requestBody: { required: true, content: { 'application/json': { schema: { ...z.toJSONSchema(createRunBody, { io: 'input' }), properties: { ...(z.toJSONSchema(createRunBody, { io: 'input' }) as { properties: object }).properties, parameters: z.toJSONSchema(JOB_CATALOG['license-count'].parameters, { io: 'input' }) } } } } },
          responses: { '201': { description: 'queued' }, '200': { description: 'same idempotency key: the existing run' }, ...errors },
        },
      },
      '/api/runs/{ref}': { get: { summary: 'One run with counts, details and retries', parameters: [ref], responses: { '200': { description: 'the run' }, ...errors } } },
      '/api/runs/{ref}/retry': { post: { summary: 'Retry a failed run as a new linked run', parameters: [ref], responses: { '201': { description: 'queued' }, ...errors } } },
      '/api/totals': {
        get: {
          summary: "Each client's figure per business date (its latest successful complete run), with its 365-day peak, the breaches, the gaps and the shared license's use",
          parameters: Object.keys(totalsQuery.shape).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { '200': { description: 'daily figures, breaches, gaps' }, ...errors },
        },
      },
      '/api/completeness': {
        get: {
          summary: 'For a client, each business date and source: covered by a successful complete run, or why not (no run, failing since, partial only)',
          parameters: Object.keys(completenessQuery.shape).map((name) => ({ name, in: 'query', required: name === 'client', schema: { type: 'string' } })),
          responses: { '200': { description: 'dates with their state, and the gaps' }, ...errors },
        },
      },
    },
  };
}
