const FALLBACK = '/runs';
const PROBE_ORIGIN = 'http://jobtally.invalid';

/**
 * Where to go after logging in: only a path on this site. Browsers read `//host`, `/\host` and
 * their percent-encoded forms as another host, and control characters are stripped before they
 * parse, so anything but a plain absolute path falls back to the runs page.
 */
export function safeRedirectPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000 || !value.startsWith('/')) return FALLBACK;
  let decoded = value;
  for (let round = 0; round < 3; round++) {
    if (leavesTheSite(decoded)) return FALLBACK;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return FALLBACK;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (leavesTheSite(decoded)) return FALLBACK;
  const resolved = new URL(value, PROBE_ORIGIN);
  return resolved.origin === PROBE_ORIGIN ? `${resolved.pathname}${resolved.search}${resolved.hash}` : FALLBACK;
}

/** `//host`, a backslash (read as a slash) or a control character (stripped, so `/\t/host` is `//host`). */
function leavesTheSite(path: string): boolean {
  if (path.startsWith('//') || path.includes('\\')) return true;
  for (let index = 0; index < path.length; index++) {
    const code = path.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
