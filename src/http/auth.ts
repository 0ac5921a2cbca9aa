import { createHmac, randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator, MemoryStore, type Options } from 'express-rate-limit';
import type { Config } from '../config/load.js';
import { DECOY_HASH, verifyPassword } from './passwords.js';
import { passwordFingerprint, type SessionStore } from './sessions.js';

export type WebRole = 'viewer' | 'operator';

export interface Principal {
  name: string;
  role: WebRole;
}

export const SESSION_COOKIE = 'jt_session';

/** Logged-in principal of the request, set by `authenticate`. */
export function principalOf(response: Response): Principal | undefined {
  return (response.locals as { principal?: Principal }).principal;
}

/** Verified Basic credentials are remembered this long, so API clients do not pay scrypt per call. */
const BASIC_CACHE_MS = 5 * 60_000;
const BASIC_CACHE_SIZE = 1000;

export class Authenticator {
  readonly #secret: Buffer;
  /** HMAC of the Authorization header → principal; only successful logins are kept. */
  readonly #verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly web: Config['web'],
    private readonly sessions: SessionStore,
  ) {
    this.#secret = web.sessionSecret ? Buffer.from(web.sessionSecret.reveal()) : randomBytes(32);
  }

  /** Without configured users the dashboard is only reachable from this machine: everyone local operates. */
  get open(): boolean {
    return this.web.users.length === 0;
  }

  get secret(): Buffer {
    return this.#secret;
  }

  async checkPassword(name: string, password: string): Promise<Principal | undefined> {
    const user = this.web.users.find((candidate) => candidate.name === name);
    const ok = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
    return ok && user ? { name: user.name, role: user.role } : undefined;
  }

  /** Opens a server-side session for a user who just logged in; the cookie carries only its id. */
  async openSession(principal: Principal): Promise<string> {
    const user = this.web.users.find((candidate) => candidate.name === principal.name);
    if (!user) throw new Error(`user ${principal.name} is not configured`);
    return this.sessions.open(user.name, user.passwordHash);
  }

  /** The session's user, if the session is open, the user still exists and has not changed password since. */
  async readSession(cookie: string | undefined): Promise<Principal | undefined> {
    const session = await this.sessions.read(cookie);
    if (!session) return undefined;
    const user = this.web.users.find((candidate) => candidate.name === session.name);
    return user && passwordFingerprint(user.passwordHash) === session.passwordFingerprint ? { name: user.name, role: user.role } : undefined;
  }

  endSession(cookie: string | undefined): Promise<void> {
    return this.sessions.end(cookie);
  }

  /**
   * Sets `res.locals.principal` from a session cookie or HTTP Basic credentials; wrong credentials
   * count against the address, and a locked-out address sending credentials gets 429.
   */
  middleware(guard: FailedLoginGuard) {
    return async (request: Request, response: Response, next: NextFunction) => {
      if (this.open) {
        (response.locals as { principal?: Principal }).principal = { name: 'local', role: 'operator' };
        next();
        return;
      }
      const basic = parseBasic(request.headers.authorization);
      if (basic) {
        const wait = await guard.lockedOutFor(request);
        if (wait !== undefined) {
          refuseLockedOut(response, wait);
          return;
        }
      }
      const principal = basic ? await this.checkBasic(request.headers.authorization ?? '', basic) : await this.readSession((request.cookies as Record<string, string | undefined>)[SESSION_COOKIE]);
      if (basic && !principal) await guard.recordFailure(request);
      (response.locals as { principal?: Principal | undefined }).principal = principal;
      next();
    };
  }

  private async checkBasic(header: string, basic: { name: string; password: string }, now = Date.now()): Promise<Principal | undefined> {
    const key = this.sign(header);
    const cached = this.#verified.get(key);
    if (cached && cached.until > now) return cached.principal;
    const principal = await this.checkPassword(basic.name, basic.password);
    if (principal) {
      if (this.#verified.size >= BASIC_CACHE_SIZE) this.#verified.clear();
      this.#verified.set(key, { principal, until: now + BASIC_CACHE_MS });
    }
    return principal;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}

function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Failed logins (wrong name or password) per client address. Only failures are counted: a count
 * taken as each request starts, and given back on success, refused concurrent good requests. An
 * address with `maxFailedLogins` failures within `loginWindowMs` is refused before any password is
 * checked, so a locked-out guesser gets no answer and costs no scrypt. Sessions are not refused:
 * someone logged in behind the same NAT as a guesser keeps working.
 */
export class FailedLoginGuard {
  readonly #store = new MemoryStore();

  constructor(private readonly web: Pick<Config['web'], 'maxFailedLogins' | 'loginWindowMs'>) {
    // The store reads only windowMs from the rate limiter's options.
    this.#store.init({ windowMs: web.loginWindowMs } as Options);
  }

  /** Seconds until the request's address may try again; undefined when it is not locked out. */
  async lockedOutFor(request: Request, now = Date.now()): Promise<number | undefined> {
    const failures = await this.#store.get(addressKey(request));
    if (!failures || failures.totalHits < this.web.maxFailedLogins) return undefined;
    return Math.max(1, Math.ceil(((failures.resetTime?.getTime() ?? now) - now) / 1000));
  }

  async recordFailure(request: Request): Promise<void> {
    await this.#store.increment(addressKey(request));
  }
}

export function refuseLockedOut(response: Response, retryAfterSeconds: number): void {
  response
    .status(429)
    .set('retry-after', String(retryAfterSeconds))
    .json({ error: { code: 'RATE_LIMITED', message: `too many failed logins from this address; try again in ${retryAfterSeconds} s` } });
}

function addressKey(request: Request): string {
  return ipKeyGenerator(request.ip ?? request.socket.remoteAddress ?? 'unknown');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
