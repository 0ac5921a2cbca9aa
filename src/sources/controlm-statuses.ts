import { MissingCountError } from '../errors.js';
import { formatCount } from '../format.js';
import { IdSet } from './id-set.js';
import type { CountBreakdown, SourceFetchResult } from './types.js';

/** Rows of `run/jobs/status` that group jobs rather than run: they are not job executions. */
export const CONTAINER_TYPES = new Set(['Folder', 'SubFolder', 'Sub-Table', 'SubTable', 'Table', 'SmartFolder', 'SmartTable']);

/** The status of a job that ran and failed. */
export const FAILED_STATUS = 'Ended Not OK';

/** Statuses of jobs ordered for today but waiting rather than running. */
export const ORDERED_NOT_RUNNING_STATUSES = ['Wait Condition', 'Wait Resource', 'Wait User', 'Wait Host'];

interface StatusRow {
  jobId?: unknown;
  type?: unknown;
  status?: unknown;
  application?: unknown;
  subApplication?: unknown;
  held?: unknown;
  deleted?: unknown;
}

/**
 * Counts job executions among `run/jobs/status` rows, one row at a time as they stream in (pure):
 * containers are skipped, and a job seen before (same jobId, from an overlapping partition) counts
 * once. It keeps the counters and the job ids, never the rows.
 */
export class StatusTally {
  // Maps, not objects: a server's status or application named `__proto__` is just another key.
  readonly #byStatus = new Map<string, number>();
  readonly #byApplication = new Map<string, number>();
  readonly #bySubApplication = new Map<string, number>();
  readonly #flags = new Map<string, number>();
  readonly #seen = new IdSet();
  #count = 0;
  #containers = 0;

  constructor(private readonly source: string) {}

  /** `where` names the row in errors, e.g. `statuses[12]`. */
  add(row: unknown, where: string): void {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new MissingCountError(this.source, `${where} is not an object`);
    const { jobId, type, status, application, subApplication, held, deleted } = row as StatusRow;
    if (typeof jobId === 'string' && jobId) {
      if (this.#seen.has(jobId)) return;
      this.#seen.add(jobId);
    }
    if (typeof type === 'string' && CONTAINER_TYPES.has(type)) {
      this.#containers++;
      return;
    }
    this.#count++;
    const applicationKey = label(application, '(none)');
    increment(this.#byStatus, label(status, 'Unknown'));
    increment(this.#byApplication, applicationKey);
    increment(this.#bySubApplication, `${applicationKey}/${label(subApplication, '(none)')}`);
    if (held === true) increment(this.#flags, 'held');
    if (deleted === true) increment(this.#flags, 'deleted');
  }

  result(): SourceFetchResult {
    const breakdown: CountBreakdown = {
      byStatus: Object.fromEntries(this.#byStatus),
      byApplication: Object.fromEntries(this.#byApplication),
      bySubApplication: Object.fromEntries(this.#bySubApplication),
      flags: Object.fromEntries(this.#flags),
    };
    const count = this.#count;
    const note = this.#containers > 0 ? `${formatCount(count)} jobs, ${formatCount(this.#containers)} folders skipped` : `${formatCount(count)} jobs`;
    const metrics = {
      failed: this.#byStatus.get(FAILED_STATUS) ?? 0,
      ordered_not_running: ORDERED_NOT_RUNNING_STATUSES.reduce((sum, status) => sum + (this.#byStatus.get(status) ?? 0), 0),
    };
    return { count, breakdown, metrics, note };
  }
}

function label(value: unknown, fallback: string): string {
  return typeof value === 'string' && value ? value : fallback;
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
