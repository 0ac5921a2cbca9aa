import { appRoutes } from '@bull-board/api/dist/routes.js';
import { redisAtUrl } from '../../src/config/redis.js';
import { hashPassword } from '../../src/http/passwords.js';
import { startWebServer, type WebServer } from '../../src/http/server.js';
import type { AppContext } from '../../src/lifecycle/app.js';
import { logAlertSink } from '../../src/notify/events.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import type { Harness } from './harness.js';
import { TEST_REDIS_URL } from './redis.js';

export const PASSWORDS = { viewer: 'viewer-password-1', operator: 'operator-password-1' };

/** Config `web` section with one viewer (vera) and one operator (otto). */
export async function webUsersConfig(extra: Record<string, unknown> = {}) {
  return {
    web: {
      port: 0,
      users: [
        { name: 'vera', role: 'viewer', passwordHash: await hashPassword(PASSWORDS.viewer) },
        { name: 'otto', role: 'operator', passwordHash: await hashPassword(PASSWORDS.operator) },
      ],
      ...extra,
    },
  };
}

/** The web role on a harness's services, on a random local port. */
export function startHarnessWeb(harness: Harness): Promise<WebServer> {
  const app: AppContext = {
    config: harness.config,
    logger: harness.logger,
    database: harness.database,
    redis: { config: redisAtUrl(TEST_REDIS_URL, 'test'), description: TEST_REDIS_URL, origin: 'configured', stop: () => Promise.resolve() },
    connection: harness.connection,
    queueSet: harness.queueSet,
    runs: harness.runs,
    insight: harness.insight,
    writer: harness.writer,
    producer: harness.producer,
    alerts: logAlertSink(harness.logger),
    telemetry: undefined,
    metrics: new Metrics({ queues: Object.values(harness.queueSet.queues), runs: harness.runs }),
    close: () => Promise.resolve(),
  };
  return startWebServer(app);
}

export function basic(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

/** A tiny cookie jar over fetch: enough to follow a browser session in HTTP tests. */
export class Session {
  readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = (pair ?? '').split('=');
      if (name) this.cookies.set(name.trim(), rest.join('='));
    }
    return response;
  }

  form(path: string, fields: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
    return this.request(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** GETs a page and returns the CSRF token of its first form. */
  async csrfFrom(path: string): Promise<string> {
    const text = await (await this.request(path)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return token;
  }

  async login(name: string, password: string): Promise<Response> {
    const token = await this.csrfFrom('/login');
    return this.form('/login', { username: name, password, next: '/runs', _csrf: token });
  }
}

/** Every state-changing route Bull Board exposes, from its own route table, with `values` in its parameters. */
export function bullBoardWrites(values: Record<string, string>): { method: string; path: string }[] {
  return appRoutes.api
    .filter((route) => route.method !== 'get')
    .flatMap((route) =>
      (Array.isArray(route.method) ? route.method : [route.method]).flatMap((method) =>
        (Array.isArray(route.route) ? route.route : [route.route]).map((path) => ({ method: method.toUpperCase(), path: `/admin/queues${path.replace(/:(\w+)/g, (_match, name: string) => encodeURIComponent(values[name] ?? name))}` })),
      ),
    );
}
