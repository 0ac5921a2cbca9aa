/** The request headers a browser sets that tell where a request comes from. */
export interface RequestOriginHeaders {
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
}

/**
 * Whether a state-changing request comes from a page of this very origin. Fails closed: a request
 * that says nothing of where it comes from is refused, and so is a same-site one (another port of
 * the same host shares SameSite=Lax cookies). `Sec-Fetch-Site` is trusted when present (browsers
 * set it and pages cannot); otherwise `Origin` must name this host, or one of `trustedOrigins`
 * (the public URL behind a proxy).
 */
export function isSameOriginRequest(headers: RequestOriginHeaders, trustedOrigins: readonly string[] = []): boolean {
  if (headers.secFetchSite !== undefined) return headers.secFetchSite === 'same-origin';
  if (headers.origin === undefined || headers.origin === 'null' || !URL.canParse(headers.origin)) return false;
  const origin = new URL(headers.origin);
  if (trustedOrigins.includes(origin.origin)) return true;
  return headers.host !== undefined && origin.host === headers.host.toLowerCase() && (origin.protocol === 'http:' || origin.protocol === 'https:');
}
