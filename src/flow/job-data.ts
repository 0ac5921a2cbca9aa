/** What travels in BullMQ jobs. Kept small: the run row in Postgres is the record. */

/** Identifies a run in job data, with what alerts and metrics need to label it. */
export interface RunJobRef {
  runId: number;
  runName: string;
  client: string;
  businessDate: string;
  trigger: string;
}

export interface FetchJobData extends RunJobRef {
  source: string;
}

export interface AggregateJobData extends RunJobRef {
  sources: string[];
  limit: number;
  /** ms since epoch when the run was queued: the run's end-to-end duration is measured from it. */
  queuedAt: number;
}

export interface ScheduleTickData {
  schedule: string;
  client: string;
  origin: 'config' | 'cli';
}
