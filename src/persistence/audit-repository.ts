import { desc } from 'drizzle-orm';
import type { Database } from './db.js';
import { auditLog, type AuditEntry } from './schema.js';

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at' | 'details'> & { details?: Record<string, unknown> };

export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(entry: NewAuditEntry): Promise<void> {
    await this.db.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
  }

  async latest(limit = 200): Promise<AuditEntry[]> {
    return this.db.select().from(auditLog).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit);
  }
}
