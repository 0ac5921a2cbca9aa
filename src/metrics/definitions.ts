/**
 * The metrics a run reports and how each is joined across sources (pure, no imports: sources,
 * config and persistence all name metrics through this module).
 */

export const METRIC_RULES = ['sum', 'min', 'max', 'last'] as const;
export type MetricRule = (typeof METRIC_RULES)[number];

/** `count`: a non-negative whole number of jobs. `duration`: non-negative milliseconds, stored whole. */
export type MetricKind = 'count' | 'duration';

export const RUN_METRICS = {
  /** The source's count. Its rule is fixed: the license total is the sum of job executions. */
  job_executions: { kind: 'count', rule: 'sum', label: 'job executions' },
  /** Jobs that ended not OK (Control-M jobs-status). */
  failed: { kind: 'count', rule: 'sum', label: 'failed' },
  /** Jobs ordered but waiting (condition, resource, user, host) rather than running (Control-M jobs-status). */
  ordered_not_running: { kind: 'count', rule: 'sum', label: 'ordered, not running' },
  /** Job rows of the order date, containers excluded: what on-premises task licensing counts (Control-M jobs-status). */
  ordered: { kind: 'count', rule: 'sum', label: 'jobs ordered' },
  /** Runs of those job rows, without Dummy and SLA jobs: what BMC's SaaS usage report counts (Control-M jobs-status). */
  executions: { kind: 'count', rule: 'sum', label: 'job executions (runs)' },
  /** Job rows that have not run (numberOfRuns 0): they cost a unit when ordered jobs are billed. */
  never_ran: { kind: 'count', rule: 'sum', label: 'never ran' },
  /** Runs beyond the first of cyclic or rerun jobs. */
  cyclic_reruns: { kind: 'count', rule: 'sum', label: 'cyclic reruns' },
  /** Dummy jobs: ordered, but never executions. */
  dummy: { kind: 'count', rule: 'sum', label: 'dummy jobs' },
  /** Rows of earlier order dates still in the active environment (not counted for this date). */
  carried_over: { kind: 'count', rule: 'sum', label: 'carried over' },
  /** Of the carried-over rows, those held: the ones BMC's advice says to delete to save tasks. */
  carried_over_held: { kind: 'count', rule: 'sum', label: 'carried over, held' },
  /** The server's own figure (`usage/jobs`) a reconciled jobs-status source was checked against. */
  server_usage: { kind: 'count', rule: 'sum', label: 'server usage figure' },
  /** How far the count is from the server's figure, in units (absolute). */
  drift: { kind: 'count', rule: 'sum', label: 'drift from server figure' },
  /** Time to fetch the source's answer, measured by the fetch job for every source. */
  fetch_duration_ms: { kind: 'duration', rule: 'max', label: 'fetch time' },
} as const satisfies Record<string, { kind: MetricKind; rule: MetricRule; label: string }>;

export type MetricName = keyof typeof RUN_METRICS;
export const METRIC_NAMES = Object.keys(RUN_METRICS) as MetricName[];

/** The metric whose rule nobody may change: it is the license total. */
export const LICENSE_METRIC = 'job_executions' satisfies MetricName;
export type ConfigurableMetric = Exclude<MetricName, typeof LICENSE_METRIC>;
export const CONFIGURABLE_METRICS = METRIC_NAMES.filter((name): name is ConfigurableMetric => name !== LICENSE_METRIC);

/** The rule of every metric whose rule is configurable. */
export type MetricRules = Record<ConfigurableMetric, MetricRule>;

export const DEFAULT_METRIC_RULES: MetricRules = Object.fromEntries(CONFIGURABLE_METRICS.map((name) => [name, RUN_METRICS[name].rule])) as MetricRules;

/** Metric values of one source or one run; a metric a source cannot tell is absent, never 0. */
export type MetricValues = Partial<Record<MetricName, number>>;

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(RUN_METRICS, name);
}

export function isMetricRule(name: string): name is MetricRule {
  return (METRIC_RULES as readonly string[]).includes(name);
}
