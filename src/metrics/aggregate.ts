import { isMetricName, LICENSE_METRIC, METRIC_NAMES, RUN_METRICS, type MetricName, type MetricRule, type MetricRules, type MetricValues } from './definitions.js';

/** A value that was not stored, and why. */
export interface RejectedMetric {
  metric: string;
  reason: string;
  source?: string;
}

export interface NormalisedMetrics {
  values: MetricValues;
  rejected: RejectedMetric[];
}

/** One source's metrics, as its fetch job returned them. */
export interface SourceMetrics {
  source: string;
  metrics: MetricValues;
}

export interface AggregatedMetric {
  metric: MetricName;
  rule: MetricRule;
  value: number;
}

export interface AggregatedMetrics {
  metrics: AggregatedMetric[];
  rejected: RejectedMetric[];
}

/**
 * Checks one metric value (pure). Every metric is a non-negative finite number; a count must be a
 * whole number (a fraction is a wrong count, never rounded); a duration is rounded to whole
 * milliseconds. -0 becomes 0. Returns the value, or why it is refused.
 */
export function normaliseMetricValue(metric: MetricName, value: unknown): { value: number } | { reason: string } {
  if (typeof value !== 'number') return { reason: `is ${value === null ? 'null' : typeof value}, expected a number` };
  if (!Number.isFinite(value)) return { reason: `is ${String(value)}` };
  if (value < 0) return { reason: `is negative (${value})` };
  if (RUN_METRICS[metric].kind === 'count') {
    if (!Number.isInteger(value)) return { reason: `is not a whole number (${value})` };
    if (!Number.isSafeInteger(value)) return { reason: `is too large to count exactly (${value})` };
    return { value: value + 0 };
  }
  return { value: Math.round(value) + 0 };
}

/** Checks what a source reported (pure): unknown names and invalid values are refused, not guessed at. */
export function normaliseMetrics(reported: unknown): NormalisedMetrics {
  const values: MetricValues = {};
  const rejected: RejectedMetric[] = [];
  if (typeof reported !== 'object' || reported === null || Array.isArray(reported)) {
    return { values, rejected: reported === undefined ? [] : [{ metric: '(all)', reason: 'metrics are not an object' }] };
  }
  for (const [metric, value] of Object.entries(reported)) {
    if (!isMetricName(metric)) {
      rejected.push({ metric, reason: 'is not a known metric' });
      continue;
    }
    const checked = normaliseMetricValue(metric, value);
    if ('reason' in checked) rejected.push({ metric, reason: checked.reason });
    else values[metric] = checked.value;
  }
  return { values, rejected };
}

/**
 * The metrics of one fetch (pure): what the adapter reported, plus the two every source has, its
 * validated count and the fetch time the job measured (these win over anything the adapter said).
 */
export function sourceMetrics(count: number, reported: Readonly<Record<string, number>> | undefined, durationMs: number): NormalisedMetrics {
  return normaliseMetrics({ ...reported, [LICENSE_METRIC]: count, fetch_duration_ms: durationMs });
}

/** The rule a metric joins by: job executions always sum, whatever the configuration says. */
export function ruleOf(metric: MetricName, rules: MetricRules): MetricRule {
  return metric === LICENSE_METRIC ? 'sum' : rules[metric];
}

/**
 * Joins the sources' metrics of one run, each by its rule (pure). `perSource` is in the run's
 * source order, which `last` follows. A metric is joined over the sources that reported it and is
 * absent when none did; values that fail the checks again here (they crossed Redis) are skipped
 * and listed, as is a sum too large to be exact.
 */
export function aggregateMetrics(perSource: readonly SourceMetrics[], rules: MetricRules): AggregatedMetrics {
  const metrics: AggregatedMetric[] = [];
  const rejected: RejectedMetric[] = [];
  for (const metric of METRIC_NAMES) {
    const values: number[] = [];
    for (const { source, metrics: reported } of perSource) {
      if (!Object.hasOwn(reported, metric)) continue;
      const checked = normaliseMetricValue(metric, reported[metric]);
      if ('reason' in checked) rejected.push({ source, metric, reason: checked.reason });
      else values.push(checked.value);
    }
    if (values.length === 0) continue;
    const rule = ruleOf(metric, rules);
    const value = combine(rule, values);
    const exact = RUN_METRICS[metric].kind === 'count' ? Number.isSafeInteger(value) : Number.isFinite(value);
    if (exact) metrics.push({ metric, rule, value });
    else rejected.push({ metric, reason: `its ${rule} is too large to be exact` });
  }
  return { metrics, rejected };
}

function combine(rule: MetricRule, values: readonly number[]): number {
  switch (rule) {
    case 'sum':
      return values.reduce((total, value) => total + value, 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'last':
      return values[values.length - 1] ?? 0;
  }
}

/**
 * The metrics in an aggregate job's children values (pure), in the run's source order; a value
 * without metrics (a fetch job queued before metrics existed) contributes none.
 */
export function metricsOfFetches(expectedSources: readonly string[], fetched: readonly unknown[]): SourceMetrics[] {
  const bySource = new Map<string, unknown>();
  for (const value of fetched) {
    if (typeof value === 'object' && value !== null && typeof (value as { source?: unknown }).source === 'string') {
      bySource.set((value as { source: string }).source, (value as { metrics?: unknown }).metrics);
    }
  }
  return expectedSources.map((source) => {
    const reported = bySource.get(source);
    return { source, metrics: typeof reported === 'object' && reported !== null ? reported : {} };
  });
}
