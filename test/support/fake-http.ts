import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One scripted answer. `hang` never answers; `trickleMs` sends the body one byte at a time;
 * `stream` sends the pieces it yields as they come, waiting whenever the client is behind.
 */
export interface Reply {
  status?: number;
  body?: unknown;
  raw?: string;
  stream?: () => Iterable<string> | AsyncIterable<string>;
  headers?: Record<string, string>;
  hang?: boolean;
  trickleMs?: number;
  resetConnection?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Route = (request: RecordedRequest) => Reply;

/**
 * A real local HTTP server for source tests. Scripted replies for a route are used once each, in
 * order; after them the route's default handler answers.
 */
export class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  readonly #routes = new Map<string, Route>();
  readonly #scripts = new Map<string, Reply[]>();
  #url = '';

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeHttpServer> {
    const fake: FakeHttpServer = new FakeHttpServer(createServer((request, response) => void fake.handle(request, response)));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.#url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  route(method: string, path: string, handler: Route): this {
    this.#routes.set(`${method} ${path}`, handler);
    return this;
  }

  /** Next answers of a route, used once each before its default handler. */
  script(method: string, path: string, replies: Reply[]): this {
    this.#scripts.set(`${method} ${path}`, [...replies]);
    return this;
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(incoming.url ?? '/', this.#url);
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
    this.requests.push(request);
    const key = `${request.method} ${request.path}`;
    const scripted = this.#scripts.get(key)?.shift();
    const route = this.#routes.get(key);
    const reply: Reply = scripted ?? (route ? route(request) : { status: 404, body: { errors: [{ message: `no route ${key}` }] } });
    await respond(response, reply);
  }
}

async function respond(response: ServerResponse, reply: Reply): Promise<void> {
  if (reply.hang) return;
  if (reply.resetConnection) {
    response.socket?.destroy();
    return;
  }
  if (reply.stream) {
    response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    for await (const piece of reply.stream()) {
      if (response.destroyed) return;
      if (!response.write(piece)) await drained(response);
    }
    response.end();
    return;
  }
  const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  response.writeHead(reply.status ?? 200, { 'content-type': reply.raw === undefined ? 'application/json' : 'text/plain', ...reply.headers });
  if (reply.trickleMs === undefined) {
    response.end(text);
    return;
  }
  for (const byte of text) {
    if (response.destroyed) return;
    response.write(byte);
    await new Promise((resolve) => setTimeout(resolve, reply.trickleMs));
  }
  response.end();
}

/** Resolves when the client has taken what was written, or has gone away. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
