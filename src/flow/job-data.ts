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
  /**
   * Whether the sources are all of the client's: only then is the total its date's figure (and
   * checked for near-limit, anomalies and the shared license). Absent in jobs queued before.
   */
  complete?: boolean;
  /** The client's sources when it was queued: what a partial run is a part of. */
  scopeOf?: string[];
  /** ms since epoch when the run was queued: the run's end-to-end duration is measured from it. */
  queuedAt: number;
}

export interface ScheduleTickData {
  schedule: string;
  client: string;
  origin: 'config' | 'cli';
}
