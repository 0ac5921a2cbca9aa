import { MissingCountError } from '../errors.js';
import { formatCount } from '../format.js';
import type { MetricValues } from '../metrics/definitions.js';
import { IdMap } from './id-map.js';
import type { CountBreakdown, SourceFetchResult } from './types.js';

/**
 * What a jobs-status run bills. `ordered`: one unit per job row of the order date, what
 * on-premises task licensing counts as loaded jobs. `executions`: the runs of job rows, without
 * Dummy and SLA (BIM) jobs, what BMC's SaaS usage report counts ("Usage Report service": folders,
 * sub-folders, SLA Management jobs and dummy jobs are not job executions; every run of a cyclic job is).
 */
export type CountAs = 'ordered' | 'executions';

/**
 * Container types, compared after `normalisedType` (case, spaces, `-` and `_` dropped): Folder,
 * SubFolder / Sub-Folder, Table / Sub-Table (z/OS), SMART Folder / SmartFolder / SMART Table.
 */
const CONTAINER_TYPES = new Set(['folder', 'subfolder', 'table', 'subtable', 'smartfolder', 'smarttable', 'smartsubfolder']);
const DUMMY_TYPES = new Set(['dummy']);
/** SLA Management (BIM) jobs: BMC's usage report does not count them as executions. */
const SLA_TYPES = new Set(['slamanagement', 'bim', 'sla']);

/** The status of a job that ran and failed. */
export const FAILED_STATUS = 'Ended Not OK';

/** Statuses of jobs ordered for the day but waiting rather than running (Wait Workload: held back by a workload policy). */
export const ORDERED_NOT_RUNNING_STATUSES = ['Wait Condition', 'Wait Resource', 'Wait User', 'Wait Host', 'Wait Workload'];

/** Statuses that say a job started at least once, for rows that do not say their `numberOfRuns`. */
const RAN_STATUSES = new Set(['Ended OK', 'Ended Not OK', 'Executing', 'Status Unknown']);

/** `Job:Command`, `SMART Folder`, `Sub-Table` → `command`, `smartfolder`, `subtable`. */
export function normalisedType(type: string): string {
  return type
    .replace(/^job:/i, '')
    .replace(/[\s_-]+/g, '')
    .toLowerCase();
}

export type RowKind = 'container' | 'dummy' | 'sla' | 'job';

export function kindOfType(type: unknown): RowKind {
  if (typeof type !== 'string') return 'job';
  const normalised = normalisedType(type);
  if (CONTAINER_TYPES.has(normalised)) return 'container';
  if (DUMMY_TYPES.has(normalised)) return 'dummy';
  if (SLA_TYPES.has(normalised)) return 'sla';
  return 'job';
}

/** `2026-11-24` → `261124`, the form of a row's `orderDate` and of `orderDateFrom`/`orderDateTo`. */
export function controlmOrderDate(businessDate: string): string {
  const match = /^\d{2}(\d{2})-(\d{2})-(\d{2})$/.exec(businessDate);
  if (!match) throw new Error(`not a YYYY-MM-DD date: ${businessDate}`);
  return `${match[1]}${match[2]}${match[3]}`;
}

interface StatusRow {
  jobId?: unknown;
  folderId?: unknown;
  type?: unknown;
  status?: unknown;
  application?: unknown;
  subApplication?: unknown;
  ctm?: unknown;
  held?: unknown;
  deleted?: unknown;
  numberOfRuns?: unknown;
  orderDate?: unknown;
}

/** The fields of a counted row that its breakdowns and metrics need, shared by every row alike. */
interface Profile {
  status: string;
  application: string;
  subApplication: string;
  server: string;
  type: string;
  kind: Exclude<RowKind, 'container'>;
  held: boolean;
  deleted: boolean;
  rows: number;
  runs: number;
  neverRan: number;
}

/** Rows remembered by jobId that are not counted jobs: they may still turn out to be containers or duplicates. */
const CONTAINER = -1;
const LATER_DATE = -2;
const CARRIED = -3;
const CARRIED_HELD = -4;

/** Packs a counted row as `runs * PROFILE_SLOTS + profile`: exact while runs < 2^32. */
const PROFILE_SLOTS = 2 ** 20;

export interface StatusTallyOptions {
  /** The order date counted (YYMMDD); rows of earlier dates are carried over, later ones skipped. */
  orderDate?: string | undefined;
  countAs?: CountAs;
}

/**
 * Counts `run/jobs/status` rows one at a time as they stream in (pure). It keeps counters per
 * distinct row profile (status, application, server, type, ...) and one number per jobId, never
 * the rows: a row counted as a job whose jobId later shows up as another row's folderId is a
 * container after all, and the number says which profile and runs to take back. A jobId seen
 * before (overlapping partitions) counts once.
 */
export class StatusTally {
  readonly #options: Required<Pick<StatusTallyOptions, 'countAs'>> & StatusTallyOptions;
  // Maps, not objects: a server's status or application named `__proto__` is just another key.
  readonly #profileIds = new Map<string, number>();
  readonly #profiles: Profile[] = [];
  readonly #byJobId = new IdMap();
  readonly #folderIds = new Set<string>();
  #containers = 0;
  #laterDated = 0;
  #carried = 0;
  #carriedHeld = 0;
  #withoutOrderDate = 0;
  #withoutRuns = 0;

  constructor(
    private readonly source: string,
    options: StatusTallyOptions = {},
  ) {
    this.#options = { ...options, countAs: options.countAs ?? 'ordered' };
  }

  /** `where` names the row in errors, e.g. `statuses[12]`. */
  add(row: unknown, where: string): void {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new MissingCountError(this.source, `${where} is not an object`);
    const fields = row as StatusRow;
    const jobId = typeof fields.jobId === 'string' && fields.jobId ? fields.jobId : undefined;
    if (jobId !== undefined && this.#byJobId.has(jobId)) return;
    if (typeof fields.folderId === 'string' && fields.folderId && !this.#folderIds.has(fields.folderId)) this.#folderIds.add(fields.folderId);
    const kind = kindOfType(fields.type);
    if (kind === 'container' || (jobId !== undefined && this.#folderIds.has(jobId))) {
      this.#containers++;
      if (jobId !== undefined) this.#byJobId.set(jobId, CONTAINER);
      return;
    }
    const dated = this.#dated(fields.orderDate);
    if (dated === 'later') {
      this.#laterDated++;
      if (jobId !== undefined) this.#byJobId.set(jobId, LATER_DATE);
      return;
    }
    if (dated === 'earlier') {
      this.#carried++;
      if (fields.held === true) this.#carriedHeld++;
      if (jobId !== undefined) this.#byJobId.set(jobId, fields.held === true ? CARRIED_HELD : CARRIED);
      return;
    }
    const status = label(fields.status, 'Unknown');
    const runs = this.#runsOf(fields.numberOfRuns, status, where);
    const profileId = this.#profileOf(fields, status, kind);
    const profile = this.#profiles[profileId] as Profile;
    profile.rows++;
    profile.runs += runs;
    if (runs === 0) profile.neverRan++;
    if (jobId !== undefined) this.#byJobId.set(jobId, runs * PROFILE_SLOTS + profileId);
  }

  result(): SourceFetchResult & { metrics: MetricValues } {
    this.#takeBackFolders();
    const byStatus = new Map<string, number>();
    const byApplication = new Map<string, number>();
    const bySubApplication = new Map<string, number>();
    const byServer = new Map<string, number>();
    const byType = new Map<string, number>();
    const flags = new Map<string, number>();
    let ordered = 0;
    let executions = 0;
    let neverRan = 0;
    let cyclicReruns = 0;
    let dummy = 0;
    for (const profile of this.#profiles) {
      if (profile.rows === 0) continue;
      ordered += profile.rows;
      neverRan += profile.neverRan;
      if (profile.kind === 'dummy') dummy += profile.rows;
      if (profile.kind === 'job') {
        executions += profile.runs;
        // Runs beyond the first of each job that ran.
        cyclicReruns += profile.runs - (profile.rows - profile.neverRan);
      }
      add(byStatus, profile.status, profile.rows);
      add(byApplication, profile.application, profile.rows);
      add(bySubApplication, `${profile.application}/${profile.subApplication}`, profile.rows);
      add(byServer, profile.server, profile.rows);
      add(byType, profile.type, profile.rows);
      if (profile.held) add(flags, 'held', profile.rows);
      if (profile.deleted) add(flags, 'deleted', profile.rows);
    }
    const metrics: MetricValues = {
      ordered,
      executions,
      never_ran: neverRan,
      cyclic_reruns: cyclicReruns,
      dummy,
      failed: byStatus.get(FAILED_STATUS) ?? 0,
      ordered_not_running: ORDERED_NOT_RUNNING_STATUSES.reduce((sum, status) => sum + (byStatus.get(status) ?? 0), 0),
      carried_over: this.#carried,
      carried_over_held: this.#carriedHeld,
    };
    const breakdown: CountBreakdown = {
      byStatus: Object.fromEntries(byStatus),
      byApplication: Object.fromEntries(byApplication),
      bySubApplication: Object.fromEntries(bySubApplication),
      flags: Object.fromEntries(flags),
      byServer: Object.fromEntries(byServer),
      byType: Object.fromEntries(byType),
    };
    const count = this.#options.countAs === 'ordered' ? ordered : executions;
    return { count, breakdown, metrics, note: this.#note(ordered, executions), warnings: this.#warnings() };
  }

  #note(ordered: number, executions: number): string {
    const parts = [`${formatCount(ordered)} jobs ordered${this.#options.orderDate ? ` for ${this.#options.orderDate}` : ''}, ${formatCount(executions)} executions`];
    if (this.#containers > 0) parts.push(`${formatCount(this.#containers)} folders skipped`);
    if (this.#carried > 0) parts.push(`${formatCount(this.#carried)} carried over from earlier order dates (${formatCount(this.#carriedHeld)} held)`);
    if (this.#laterDated > 0) parts.push(`${formatCount(this.#laterDated)} of later order dates skipped`);
    return `${parts.join(', ')} (counted as ${this.#options.countAs})`;
  }

  #warnings(): string[] {
    const warnings: string[] = [];
    if (this.#withoutOrderDate > 0 && this.#options.orderDate) {
      warnings.push(`${formatCount(this.#withoutOrderDate)} rows have no orderDate: counted as of ${this.#options.orderDate}, as the server was asked for that date`);
    }
    if (this.#withoutRuns > 0) warnings.push(`${formatCount(this.#withoutRuns)} rows have no numberOfRuns: 1 run if their status says they started, else 0`);
    return warnings;
  }

  #dated(orderDate: unknown): 'same' | 'earlier' | 'later' {
    const wanted = this.#options.orderDate;
    if (wanted === undefined) return 'same';
    if (typeof orderDate !== 'string' || !/^\d{6}$/.test(orderDate)) {
      this.#withoutOrderDate++;
      return 'same';
    }
    // YYMMDD of the same century compare as strings.
    return orderDate === wanted ? 'same' : orderDate < wanted ? 'earlier' : 'later';
  }

  #runsOf(numberOfRuns: unknown, status: string, where: string): number {
    if (numberOfRuns === undefined || numberOfRuns === null) {
      this.#withoutRuns++;
      return RAN_STATUSES.has(status) ? 1 : 0;
    }
    if (typeof numberOfRuns !== 'number' || !Number.isSafeInteger(numberOfRuns) || numberOfRuns < 0 || numberOfRuns >= 2 ** 32) {
      throw new MissingCountError(this.source, `${where}.numberOfRuns is ${JSON.stringify(numberOfRuns)}, expected a whole number of runs`);
    }
    return numberOfRuns;
  }

  #profileOf(fields: StatusRow, status: string, kind: Profile['kind']): number {
    const application = label(fields.application, '(none)');
    const subApplication = label(fields.subApplication, '(none)');
    const server = label(fields.ctm, '(none)');
    const type = label(fields.type, '(none)');
    const held = fields.held === true;
    const deleted = fields.deleted === true;
    const key = [status, application, subApplication, server, type, held ? 1 : 0, deleted ? 1 : 0].join('\u0000');
    let id = this.#profileIds.get(key);
    if (id === undefined) {
      id = this.#profiles.length;
      if (id >= PROFILE_SLOTS) throw new MissingCountError(this.source, `more than ${formatCount(PROFILE_SLOTS)} distinct status/application/server/type combinations`);
      this.#profileIds.set(key, id);
      this.#profiles.push({ status, application, subApplication, server, type, kind, held, deleted, rows: 0, runs: 0, neverRan: 0 });
    }
    return id;
  }

  /** Rows counted before a later row named them as its folder: they were containers. */
  #takeBackFolders(): void {
    for (const folderId of this.#folderIds) {
      const packed = this.#byJobId.get(folderId);
      if (packed === undefined || packed === CONTAINER) continue;
      this.#byJobId.set(folderId, CONTAINER);
      this.#containers++;
      if (packed === LATER_DATE) {
        this.#laterDated--;
        continue;
      }
      if (packed === CARRIED || packed === CARRIED_HELD) {
        this.#carried--;
        if (packed === CARRIED_HELD) this.#carriedHeld--;
        continue;
      }
      const profile = this.#profiles[packed % PROFILE_SLOTS] as Profile;
      const runs = Math.floor(packed / PROFILE_SLOTS);
      profile.rows--;
      profile.runs -= runs;
      if (runs === 0) profile.neverRan--;
    }
  }
}

function label(value: unknown, fallback: string): string {
  return typeof value === 'string' && value ? value : fallback;
}

function add(counts: Map<string, number>, key: string, value: number): void {
  counts.set(key, (counts.get(key) ?? 0) + value);
}
