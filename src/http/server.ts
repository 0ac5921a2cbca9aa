import type { AddressInfo } from 'node:net';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import { ConfigError, InputError } from '../errors.js';
import type { AppContext } from '../lifecycle/app.js';
import { healthRouter } from '../health/router.js';
import { AuditRepository } from '../persistence/audit-repository.js';
import { ALL_QUEUE_NAMES } from '../queues/names.js';
import { createApiRouter } from './api.js';
import { Authenticator, FailedLoginGuard, isLoopback, principalOf, refuseLockedOut, SESSION_COOKIE, type Principal } from './auth.js';
import { BULL_BOARD_PATH, bullBoards } from './bull-board.js';
import { describeHttpError, HttpError, jsonErrorHandler } from './errors.js';
import { html, type SafeHtml } from './html.js';
import { INSIGHT_TABLES, insightCsvFileName, insightPage, insightTableCsv } from './insight-page.js';
import { InsightReports, parseInsightQuery } from './insight-report.js';
import { assertJsonDepth, assertSafeJson, assertUtf8Body } from './json-limits.js';
import { ASSET_CSS, ASSET_JS, layout } from './layout.js';
import { totalsReport } from './totals-report.js';
import { auditPage, loginPage, newRunPage, runDetailPage, runsPage, totalsCsv, totalsPage } from './pages.js';
import { parseRunListQuery } from './run-query.js';
import { safeRedirectPath } from './redirect.js';
import { findRunByPath } from './run-ref.js';
import { isSameOriginRequest } from './same-origin.js';
import { SessionStore } from './sessions.js';

export interface WebServerOptions {
  /** Extra routers mounted before the pages (health, metrics). */
  extraRouters?: Router[];
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = '32kb';

/** Builds the web role's express app: pages, JSON API and Bull Board behind one authentication. */
export function createWebApp(app: AppContext, options: WebServerOptions = {}): express.Express {
  const { config } = app;
  const auth = new Authenticator(config.web, new SessionStore(app.connection, config.queue.prefix, config.web.sessionTtlMs));
  const audit = new AuditRepository(app.database.db);
  const web = express();
  web.disable('x-powered-by');
  // Off by default: X-Forwarded-For from anyone but a configured proxy would pick the address the
  // login lockout counts against.
  web.set('trust proxy', config.web.trustProxy);
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => auth.secret.toString('base64'),
    getSessionIdentifier: (request) => (request.cookies as Record<string, string | undefined>)[SESSION_COOKIE] ?? 'anonymous',
    cookieName: 'jt_csrf',
    cookieOptions: { sameSite: 'lax', path: '/', httpOnly: true },
    getCsrfTokenFromRequest: (request) => (request.body as Record<string, unknown> | undefined)?._csrf as string | undefined ?? request.headers['x-csrf-token'],
  });
  // No upgrade-insecure-requests: plain-HTTP deployments on a private network must still load assets.
  // Nothing is meant to be framed, not even by this origin: clickjacking an operator's click on a queue action.
  const noFraming = { 'frame-ancestors': ["'none'"], 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null };
  const strictHelmet = helmet({ frameguard: { action: 'deny' }, contentSecurityPolicy: { directives: { ...noFraming, 'script-src': ["'self'"] } } });
  // Bull Board's UI bootstraps with inline script and styles; only its own path gets that allowance.
  const boardHelmet = helmet({ frameguard: { action: 'deny' }, contentSecurityPolicy: { directives: { ...noFraming, 'script-src': ["'self'", "'unsafe-inline'"] } } });

  web.use((request, response, next) => (request.path.startsWith(BULL_BOARD_PATH) ? boardHelmet : strictHelmet)(request, response, next));
  web.use(cookieParser());
  // Hostile bodies are refused before any handler: not UTF-8, too deep, prototype keys, long strings.
  web.use(express.urlencoded({ extended: false, limit: MAX_BODY, verify: (_request, _response, body) => assertUtf8Body(body) }));
  web.use(
    express.json({
      limit: MAX_BODY,
      verify: (_request, _response, body) => {
        assertUtf8Body(body);
        assertJsonDepth(body);
      },
    }),
  );
  web.use((request, _response, next) => {
    assertSafeJson(request.body);
    next();
  });
  // Probes and scrapes come from machines, not people: no login, and they reveal no secret.
  web.use(healthRouter({ connection: app.connection, queuePrefix: app.config.queue.prefix, database: app.database }));
  web.use(app.metrics.router());
  for (const router of options.extraRouters ?? []) web.use(router);

  web.get('/assets/app.css', (_request, response) => void response.type('text/css').set('cache-control', 'max-age=300').send(ASSET_CSS));
  web.get('/favicon.ico', (_request, response) => void response.status(204).end());
  web.get('/assets/app.js', (_request, response) => void response.type('text/javascript').set('cache-control', 'max-age=300').send(ASSET_JS));

  const guard = new FailedLoginGuard(config.web);
  web.use(auth.middleware(guard));
  web.use('/api', createApiRouter(app, audit, auth));

  // One token per response: each generation sets the CSRF cookie anew, so a second one would void the first.
  const csrfFor = (request: Request, response: Response): string => {
    const locals = response.locals as { csrfToken?: string };
    locals.csrfToken ??= generateCsrfToken(request, response);
    return locals.csrfToken;
  };
  // Every page of a logged-in user carries a token, for its logout button.
  const send = (request: Request, response: Response, title: string, body: SafeHtml, extra: { status?: number; refreshSeconds?: number } = {}) => {
    const principal = principalOf(response);
    response
      .status(extra.status ?? 200)
      .type('html')
      .send(layout({ title, principal, csrfToken: principal ? csrfFor(request, response) : undefined, refreshSeconds: extra.refreshSeconds }, body).value);
  };

  web.get('/login', (request, response) => {
    send(request, response, 'Log in', loginPage({ next: safeRedirectPath(request.query.next), csrfToken: csrfFor(request, response) }));
  });
  web.post('/login', doubleCsrfProtection, async (request, response) => {
    const wait = await guard.lockedOutFor(request);
    if (wait !== undefined) {
      refuseLockedOut(response, wait);
      return;
    }
    const body = request.body as Record<string, unknown>;
    const principal = await auth.checkPassword(typeof body.username === 'string' ? body.username : '', typeof body.password === 'string' ? body.password : '');
    if (!principal) {
      await guard.recordFailure(request);
      send(request, response, 'Log in', loginPage({ next: safeRedirectPath(body.next), error: 'Wrong user name or password.', csrfToken: csrfFor(request, response) }), { status: 401 });
      return;
    }
    await auth.endSession(sessionCookie(request));
    response.cookie(SESSION_COOKIE, await auth.openSession(principal), { httpOnly: true, sameSite: 'lax', secure: request.secure, maxAge: config.web.sessionTtlMs, path: '/' });
    response.redirect(303, safeRedirectPath(body.next));
  });
  web.post('/logout', doubleCsrfProtection, async (request, response) => {
    await auth.endSession(sessionCookie(request));
    response.clearCookie(SESSION_COOKIE, { path: '/' });
    response.redirect(303, '/login');
  });

  const requirePage = (request: Request, response: Response, next: NextFunction) => {
    if (principalOf(response)) next();
    else response.redirect(303, `/login?next=${encodeURIComponent(request.originalUrl)}`);
  };
  const requireOperator = (_request: Request, response: Response, next: NextFunction) => {
    if (principalOf(response)?.role === 'operator') next();
    else next(new HttpError(403, 'FORBIDDEN', 'operators only: your role can view but not act'));
  };

  const boards = bullBoards(ALL_QUEUE_NAMES.map((name) => app.queueSet.queues[name]));
  const trustedOrigins = config.web.publicUrl ? [new URL(config.web.publicUrl).origin] : [];
  // Bull Board's API checks neither a CSRF token nor an origin: every write must come from one of
  // our own pages (its UI sends same-origin fetches) and from an operator.
  const guardBoardWrites = (request: Request, response: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(request.method)) {
      next();
      return;
    }
    const headers = { host: request.headers.host, origin: request.headers.origin, secFetchSite: request.get('sec-fetch-site') };
    if (!isSameOriginRequest(headers, trustedOrigins)) next(new HttpError(403, 'FORBIDDEN', 'queue actions must come from the dashboard itself (same origin)'));
    else if (principalOf(response)?.role !== 'operator') next(new HttpError(403, 'FORBIDDEN', 'operators only: your role can view the queues but not act on them'));
    else next();
  };
  web.use(BULL_BOARD_PATH, requirePage, guardBoardWrites, (request, response, next) => {
    (principalOf(response)?.role === 'operator' ? boards.operator : boards.viewer)(request, response, next);
  });

  web.get('/', (_request, response) => response.redirect(302, '/runs'));
  web.get('/runs', requirePage, async (request, response) => {
    const list = parseRunListQuery(request.query);
    const [page, counts] = await Promise.all([app.runs.listRuns(list.filters, { limit: list.query.limit, cursor: list.cursor, sort: list.sort }), app.runs.statusCounts(list.query.client)]);
    const active = counts.pending + counts.processing > 0;
    send(request, response, 'Runs', runsPage({ query: list.query, page, counts, firstPage: !list.cursor }), active ? { refreshSeconds: 5 } : {});
  });
  web.get('/runs/new', requirePage, requireOperator, (request, response) => {
    send(request, response, 'New run', newRunPage({ config, csrfToken: csrfFor(request, response), values: {}, issues: [] }));
  });
  web.post('/runs', requirePage, requireOperator, doubleCsrfProtection, async (request, response) => {
    const principal = principalOf(response) as Principal;
    const values = formParameters(request.body as Record<string, unknown>);
    try {
      const run = await app.producer.enqueueRun({ trigger: 'manual', parameters: values });
      await audit.record({ actor: principal.name, role: principal.role, action: 'run.start', target: run.name, address: request.ip ?? null, outcome: 'queued', details: values });
      response.redirect(303, `/runs/${run.name}`);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      await audit.record({ actor: principal.name, role: principal.role, action: 'run.start', target: null, address: request.ip ?? null, outcome: 'rejected', details: values });
      send(request, response, 'New run', newRunPage({ config, csrfToken: csrfFor(request, response), values, issues: error.issues }), { status: 422 });
    }
  });
  web.get('/runs/:ref', requirePage, async (request, response) => {
    const run = await findRunByPath(app.producer, String(request.params.ref));
    const detail = await app.runs.detailOf(run);
    const active = detail.run.status < 2;
    send(request, response, `Run ${run.name}`, runDetailPage({ detail, principal: principalOf(response), csrfToken: csrfFor(request, response) }), {
      ...(active ? { refreshSeconds: 2 } : {}),
    });
  });
  web.post('/runs/:ref/retry', requirePage, requireOperator, doubleCsrfProtection, async (request, response) => {
    const principal = principalOf(response) as Principal;
    const reference = String(request.params.ref);
    try {
      const run = await app.producer.retryRun(reference);
      await audit.record({ actor: principal.name, role: principal.role, action: 'run.retry', target: run.name, address: request.ip ?? null, outcome: 'queued', details: { retriedFrom: reference } });
      response.redirect(303, `/runs/${run.name}`);
    } catch (error) {
      await audit.record({ actor: principal.name, role: principal.role, action: 'run.retry', target: reference, address: request.ip ?? null, outcome: 'rejected', details: {} });
      throw error;
    }
  });
  web.get('/totals', requirePage, async (request, response) => {
    send(request, response, 'Totals', totalsPage(await totalsReport(app, totalsRange(request.query))));
  });
  web.get('/totals.csv', requirePage, async (request, response) => {
    response.type('text/csv').attachment('jobtally-totals.csv').send(totalsCsv(await totalsReport(app, totalsRange(request.query))));
  });
  const insight = new InsightReports({ insight: app.insight, runs: app.runs, config });
  web.get('/insight', requirePage, async (request, response) => {
    const clients = await insight.clients();
    const query = parseInsightQuery(request.query, clients, config.client);
    send(request, response, 'Insight', insightPage(await insight.report(query, clients, new Date())));
  });
  for (const table of INSIGHT_TABLES) {
    web.get(`/insight/${table}.csv`, requirePage, async (request, response) => {
      const now = new Date();
      const query = parseInsightQuery(request.query, await insight.clients(), config.client);
      const csv = await insightTableCsv(insight, table, query, now, config);
      response.type('text/csv; charset=utf-8').attachment(insightCsvFileName(table, query.client, now, config)).send(csv);
    });
  }
  web.get('/audit', requirePage, async (request, response) => {
    send(request, response, 'Audit', auditPage(await audit.latest()));
  });

  web.use((_request, _response, next) => next(new HttpError(404, 'NOT_FOUND', 'no such page')));
  const apiErrors = jsonErrorHandler(app.logger);
  web.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (request.path.startsWith('/api') || request.path.startsWith(`${BULL_BOARD_PATH}/api`) || request.accepts(['html', 'json']) === 'json') {
      apiErrors(error, request, response, next);
      return;
    }
    const { status, body } = describeHttpError(error);
    if (status >= 500) app.logger.error({ err: error }, 'page failed');
    const fields = body.error.fields ?? [];
    const fieldList = fields.length > 0 ? html`<ul id="error-fields">${fields.map((field) => html`<li><code>${field.path}</code>: ${field.message}</li>`)}</ul>` : '';
    send(request, response, status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : 'Error', html`<div class="error-box"><p>${body.error.message}</p>${fieldList}</div>`, { status });
  });
  return web;
}

/** Starts the web role. Refuses to expose an unauthenticated dashboard beyond this machine. */
export async function startWebServer(app: AppContext, options: WebServerOptions = {}): Promise<WebServer> {
  const { host, port, users } = app.config.web;
  if (users.length === 0 && !isLoopback(host)) {
    throw new ConfigError(`the web role would listen on ${host} with no users configured`, [{ path: 'web.users', message: 'add users with `jobtally user add NAME --role operator`, or bind web.host to 127.0.0.1' }]);
  }
  const server = createWebApp(app, options).listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  app.logger.info({ url, users: users.length }, 'web role listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionCookie(request: Request): string | undefined {
  return (request.cookies as Record<string, string | undefined>)[SESSION_COOKIE];
}

/** Form fields to job parameters: empty fields are left to their defaults. */
function formParameters(body: Record<string, unknown>): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (typeof body.client === 'string' && body.client !== '') parameters.client = body.client;
  if (typeof body.date === 'string' && body.date !== '') parameters.date = body.date;
  if (body.sources !== undefined) parameters.sources = Array.isArray(body.sources) ? body.sources : [body.sources];
  return parameters;
}

function totalsRange(query: Request['query']): { from: string; to: string; client: string | undefined } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const to = typeof query.to === 'string' && day.test(query.to) ? query.to : new Date().toISOString().slice(0, 10);
  const from = typeof query.from === 'string' && day.test(query.from) ? query.from : new Date(Date.parse(to) - 29 * 86_400_000).toISOString().slice(0, 10);
  const client = typeof query.client === 'string' && query.client !== '' ? query.client : undefined;
  return { from, to, client };
}
