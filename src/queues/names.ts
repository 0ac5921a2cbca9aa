/** Queue names, and the BullMQ job ids derived from run names (no `:` allowed in custom ids). */

export const QUEUE_NAMES = {
  fetch: 'fetch',
  aggregate: 'aggregate',
  schedule: 'schedule',
  alert: 'alert',
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
export const ALL_QUEUE_NAMES: QueueName[] = Object.values(QUEUE_NAMES);

/**
 * `run-<name>`: BullMQ refuses custom job ids that parse as integers, and a run name without a
 * `_N` suffix is all digits, so the parent id cannot be the bare name.
 */
export function aggregateJobId(runName: string): string {
  return `run-${runName}`;
}

export function fetchJobId(runName: string, source: string): string {
  return `${runName}.${source}`;
}

/** One delivery per (event, client, business date, channel): a repeat while it is kept is ignored. */
export function alertJobId(kind: string, client: string, businessDate: string, channel: string): string {
  return `alert.${kind}.${client}.${businessDate}.${channel}`;
}
