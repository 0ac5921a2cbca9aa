import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { JobtallyError, MissingCountError, SourceAuthError, SourceTimeoutError, SourceUnavailableError } from '../errors.js';
import { SpanKind, withSpan } from '../telemetry/tracing.js';
import { errorMessagesOf } from './count.js';
import { JsonShapeError, StreamingObjectReader, type StreamedObject, type StreamedObjectShape } from './json-stream.js';

/** What a source needs to know about TLS, resolved from config (the CA file already read). */
export interface TlsSettings {
  ca?: Buffer | undefined;
  insecure: boolean;
}

export interface JsonRequest {
  source: string;
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal: AbortSignal;
  tls?: TlsSettings | undefined;
}

/** Beyond this an answer read whole is not a count but a misconfigured endpoint; reading on would eat memory. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * A streamed answer costs no memory per byte, so its cap only stops an endless body early (the
 * deadline stops a slow one): a 100,000-row Control-M answer with every field is ~100 MB.
 */
export const MAX_STREAMED_BODY_BYTES = 1024 * 1024 * 1024;

const TRANSIENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_SOCKET']);

/**
 * One HTTP exchange with a source, turned into the error taxonomy: the whole exchange (connect,
 * headers, body) shares one deadline, so a server that trickles bytes times out like a silent one.
 */
export function requestJson(request: JsonRequest): Promise<unknown> {
  return traced(request, () => exchange(request));
}

/**
 * Like `requestJson` for a JSON object with one big array: the body is parsed as it arrives, each
 * element goes to `shape.onElement` and is dropped, so memory does not grow with the answer. Error
 * answers (HTTP status, `{"errors": [...]}`, not JSON, timeouts) fail exactly as with `requestJson`.
 */
export function requestJsonStream(request: JsonRequest, shape: StreamedObjectShape): Promise<StreamedObject> {
  return traced(request, () => streamExchange(request, shape));
}

function traced<T>(request: JsonRequest, run: () => Promise<T>): Promise<T> {
  const method = request.method ?? 'GET';
  // Our own client span: the ESM import of node:http is not reached by the http instrumentation.
  const attributes = { 'http.request.method': method, 'url.full': `${request.url.origin}${request.url.pathname}`, 'jobtally.source': request.source };
  return withSpan(`${method} ${request.url.host}`, attributes, run, SpanKind.CLIENT);
}

async function exchange(request: JsonRequest): Promise<unknown> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  let response: RawResponse;
  try {
    response = await readWhole(await open(request, AbortSignal.any([request.signal, deadline])));
  } catch (error) {
    throw classifyNetworkError(request, error, deadline.aborted);
  }
  const parsed = parseJson(response.text);
  if (response.status >= 400) throw statusError(request, response, parsed);
  if (parsed === NOT_JSON) {
    throw new MissingCountError(request.source, `the answer is not JSON (${response.contentType ?? 'no content type'}: ${excerpt(response.text)})`);
  }
  throwIfErrorsBody(request, parsed);
  return parsed;
}

/** How much of a streamed body is kept to quote in an error message. */
const HEAD_BYTES = 256;

async function streamExchange(request: JsonRequest, shape: StreamedObjectShape): Promise<StreamedObject> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  let incoming: IncomingMessage;
  try {
    incoming = await open(request, AbortSignal.any([request.signal, deadline]));
    // Error answers are small and said in one piece: read them whole, as requestJson does.
    if ((incoming.statusCode ?? 0) >= 400) {
      const response = await readWhole(incoming);
      throw statusError(request, response, parseJson(response.text));
    }
  } catch (error) {
    throw error instanceof JobtallyError ? error : classifyNetworkError(request, error, deadline.aborted);
  }
  const reader = new StreamingObjectReader({ ...shape, fields: [...shape.fields, 'errors'] });
  let head = Buffer.alloc(0);
  let size = 0;
  let answer: StreamedObject;
  try {
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_STREAMED_BODY_BYTES) throw new BodyTooLargeError(MAX_STREAMED_BODY_BYTES);
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      reader.write(chunk);
    }
    answer = reader.end();
  } catch (error) {
    if (error instanceof JsonShapeError) {
      throw new MissingCountError(request.source, `${error.message} (${incoming.headers['content-type'] ?? 'no content type'}: ${excerpt(head.toString('utf8'))})`, { cause: error });
    }
    throw error instanceof JobtallyError ? error : classifyNetworkError(request, error, deadline.aborted);
  }
  throwIfErrorsBody(request, answer.fields);
  return answer;
}

/** A 200 that carries `{"errors": [...]}` is the server saying no, in Control-M style. */
function throwIfErrorsBody(request: JsonRequest, body: unknown): void {
  const messages = errorMessagesOf(body);
  if (messages) {
    throw new SourceUnavailableError(request.source, `answered with errors: ${messages.join('; ')}`, {
      transient: false,
      hint: 'see the message from the server',
    });
  }
}

interface RawResponse {
  status: number;
  text: string;
  contentType: string | undefined;
  retryAfter: string | undefined;
}

/** Sends the request; resolves with the response once its headers are in, the body still to read. */
function open(request: JsonRequest, signal: AbortSignal): Promise<IncomingMessage> {
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const isHttps = request.url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: request.method ?? 'GET',
    headers,
    signal,
    ...(isHttps && request.tls ? { ca: request.tls.ca, rejectUnauthorized: !request.tls.insecure } : {}),
  };
  return new Promise((resolve, reject) => {
    const outgoing = (isHttps ? https : http).request(request.url, options, resolve);
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

async function readWhole(incoming: IncomingMessage): Promise<RawResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  return {
    status: incoming.statusCode ?? 0,
    text: Buffer.concat(chunks).toString('utf8'),
    contentType: incoming.headers['content-type'],
    retryAfter: incoming.headers['retry-after'],
  };
}

class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`body larger than ${limitBytes} bytes`);
  }
}

const NOT_JSON = Symbol('not json');

/** Some servers (.NET, Windows) start JSON with a byte-order mark; it is encoding, not content. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function classifyNetworkError(request: JsonRequest, error: unknown, timedOut: boolean): Error {
  const where = `${request.method ?? 'GET'} ${request.url.origin}${request.url.pathname}`;
  if (timedOut) {
    return new SourceTimeoutError(request.source, `no complete answer from ${where} within ${request.timeoutMs} ms`, {
      hint: 'check the server is up, or raise timeoutMs',
      cause: error,
    });
  }
  if (request.signal.aborted) {
    return new SourceUnavailableError(request.source, `request to ${where} cancelled (worker shutting down)`, { cause: error });
  }
  if (error instanceof BodyTooLargeError) {
    return new MissingCountError(request.source, `the answer from ${where} is larger than ${error.limitBytes / 1024 / 1024} MB`, { cause: error });
  }
  const code = (error as { code?: unknown }).code;
  const detail = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && (code.includes('CERT') || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.includes('SELF_SIGNED'))) {
    return new SourceUnavailableError(request.source, `TLS failure talking to ${where}: ${detail}`, {
      transient: false,
      hint: 'set tls.caFile to the server CA (or tls.insecure: true in a lab)',
      cause: error,
    });
  }
  const transient = typeof code !== 'string' || TRANSIENT_NETWORK_CODES.has(code) || detail.includes('socket hang up');
  return new SourceUnavailableError(request.source, `cannot reach ${where}: ${detail}`, {
    transient,
    hint: 'check the endpoint URL and that the server is up',
    cause: error,
  });
}

function statusError(request: JsonRequest, response: RawResponse, parsed: unknown): Error {
  const messages = errorMessagesOf(parsed);
  const said = messages ? `: ${messages.join('; ')}` : parsed === NOT_JSON && response.text ? `: ${excerpt(response.text)}` : '';
  const what = `HTTP ${response.status} from ${request.method ?? 'GET'} ${request.url.pathname}${said}`;
  if (response.status === 401 || response.status === 403) {
    return new SourceAuthError(request.source, what, { hint: 'check the API key or credentials of this source', httpStatus: response.status });
  }
  if (response.status === 429 || response.status >= 500) {
    const retryAfterMs = parseRetryAfter(response.retryAfter);
    return new SourceUnavailableError(request.source, what, { transient: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  return new SourceUnavailableError(request.source, what, { transient: false, hint: 'check the endpoint URL and query of this source' });
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return 'empty body';
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}
