import type { HttpJsonSourceConfig } from '../config/load.js';
import { readPath, validateCount } from './count.js';
import { requestJson, type TlsSettings } from './http-client.js';
import type { CountSource, FetchContext, SourceFetchResult } from './types.js';

/** Any endpoint that answers JSON with the count somewhere inside it. */
export class HttpJsonSource implements CountSource {
  readonly type = 'http-json';
  readonly countsPastDates = false;
  readonly name: string;

  constructor(
    private readonly config: HttpJsonSourceConfig,
    private readonly tls: TlsSettings | undefined,
  ) {
    this.name = config.name;
  }

  describe(): string {
    const url = new URL(this.config.url);
    return `JSON at ${url.origin}${url.pathname}, count at ${this.config.path}`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    const secretHeaders = Object.fromEntries(Object.entries(this.config.secretHeaders).map(([name, secret]) => [name, secret.reveal()]));
    const body = await requestJson({
      source: this.name,
      url: new URL(this.config.url),
      headers: { ...this.config.headers, ...secretHeaders },
      timeoutMs: this.config.timeoutMs,
      signal: context.signal,
      tls: this.tls,
    });
    return { count: validateCount(this.name, readPath(body, this.config.path), this.config.path) };
  }
}
