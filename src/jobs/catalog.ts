import { z } from 'zod';
import { parseFields } from '../config/issues.js';
import { calendarDate, sourceName } from '../config/schema.js';
import { InputError } from '../errors.js';

/** The kinds of job a run can be, each with the zod schema of its parameters. */

export const clientName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/, 'use letters, digits, _ or - (start with a letter, at most 40 characters)');

/** The client of a run started without one. */
export const DEFAULT_CLIENT = 'default';

export const licenseCountParameters = z.strictObject({
  client: clientName.default(DEFAULT_CLIENT).describe('Client whose counts this run records'),
  date: calendarDate.optional().describe('Business date to record the run under (default: today)'),
  sources: z.array(sourceName).min(1).optional().describe('Subset of configured sources (default: all)'),
});
export type LicenseCountParameters = z.output<typeof licenseCountParameters>;

export const JOB_CATALOG = {
  'license-count': {
    title: 'License count',
    description: 'Fetch every source, join the counts and check the total against the license limit.',
    parameters: licenseCountParameters,
  },
} as const;

/** Parameters of the scheduled retention job, carried in its BullMQ job data. */
export const retentionParameters = z.strictObject({
  olderThanMs: z.number().int().positive().describe('Finished runs created longer ago than this are purged'),
  archive: z.boolean().describe('Write a verified archive before deleting'),
  archiveDir: z.string().min(1).optional().describe('Where the archive goes (default: <data dir>/archive of the worker)'),
});
export type RetentionParameters = z.output<typeof retentionParameters>;

/** Jobs that keep jobtally itself in shape. They are not runs: no job_logs row, no counts. */
export const MAINTENANCE_CATALOG = {
  retention: {
    title: 'Retention',
    description: 'Archive, verify, then delete finished runs older than the retention age.',
    parameters: retentionParameters,
  },
} as const;

export type JobKind = keyof typeof JOB_CATALOG;
export const JOB_KINDS = Object.keys(JOB_CATALOG) as JobKind[];

export function isJobKind(value: string): value is JobKind {
  return Object.hasOwn(JOB_CATALOG, value);
}

/** Validates parameters for a job kind; InputError lists every bad field. */
export function parseJobParameters(job: string, input: unknown): LicenseCountParameters {
  if (!isJobKind(job)) throw new InputError(`unknown job "${job}"`, [{ path: 'job', message: `use one of ${JOB_KINDS.join(', ')}` }]);
  return parseWith(job, JOB_CATALOG[job].parameters, input);
}

/** Validates the data of a retention job (written by the scheduler, read by a worker). */
export function parseRetentionParameters(input: unknown): RetentionParameters {
  return parseWith('retention', MAINTENANCE_CATALOG.retention.parameters, input);
}

function parseWith<T extends z.ZodType>(job: string, schema: T, input: unknown): z.output<T> {
  const parsed = parseFields(schema, input ?? {});
  if (!parsed.success) throw new InputError(`invalid parameters for ${job}`, parsed.issues);
  return parsed.data;
}
