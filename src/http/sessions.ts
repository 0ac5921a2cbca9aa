import { createHash, randomBytes } from 'node:crypto';
import type { RedisConnection } from '../queues/connection.js';

/** What a session remembers: who, and which password they logged in with. */
export interface SessionRecord {
  name: string;
  passwordFingerprint: string;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Dashboard sessions, kept in Redis so that they can be ended: logging out deletes one, and a
 * password change ends all of a user's sessions (each remembers a fingerprint of the password
 * hash it was opened with). One GET per request; Redis expires them after the session TTL. Keys
 * hold a hash of the session id, so a copy of Redis opens no session.
 */
export class SessionStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  async open(name: string, passwordHash: string): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const record: SessionRecord = { name, passwordFingerprint: passwordFingerprint(passwordHash) };
    await this.redis.set(this.key(id), JSON.stringify(record), 'PX', this.ttlMs);
    return id;
  }

  async read(id: string | undefined): Promise<SessionRecord | undefined> {
    if (id === undefined || !SESSION_ID.test(id)) return undefined;
    const stored = await this.redis.get(this.key(id));
    if (stored === null) return undefined;
    const record = JSON.parse(stored) as Partial<SessionRecord>;
    return typeof record.name === 'string' && typeof record.passwordFingerprint === 'string' ? { name: record.name, passwordFingerprint: record.passwordFingerprint } : undefined;
  }

  async end(id: string | undefined): Promise<void> {
    if (id !== undefined && SESSION_ID.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return `${this.prefix}:web:session:${createHash('sha256').update(id).digest('base64url')}`;
  }
}

/** Changes whenever the password does (its hash is salted afresh); reveals nothing of it. */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);
}
