import { formatCount, formatDuration } from '../format.js';
import { isMetricName, METRIC_NAMES, RUN_METRICS, type MetricName } from './definitions.js';

/** A stored metric value: `source` null is the run's value, joined by `rule`. */
export interface StoredMetric {
  source: string | null;
  metric: string;
  rule: string | null;
  value: number;
}

export interface MetricTableRow {
  metric: MetricName;
  label: string;
  /** The rule the run's value was joined by; undefined while the run has none (not finished, failed). */
  rule: string | undefined;
  run: string | undefined;
  /** Per source, in the order of `sources`; undefined where the source did not report it. */
  bySource: (string | undefined)[];
}

/**
 * Stored metrics laid out for people (pure): one row per metric in the catalogue order, the run's
 * value then each source's, formatted (counts with separators, durations in ms or s).
 */
export function metricTable(stored: readonly StoredMetric[], sources: readonly string[]): MetricTableRow[] {
  return METRIC_NAMES.flatMap((metric) => {
    const entries = stored.filter((entry) => entry.metric === metric && isMetricName(entry.metric));
    if (entries.length === 0) return [];
    const run = entries.find((entry) => entry.source === null);
    const valueOf = (source: string) => entries.find((entry) => entry.source === source)?.value;
    return [
      {
        metric,
        label: RUN_METRICS[metric].label,
        rule: run?.rule ?? undefined,
        run: run === undefined ? undefined : formatMetric(metric, run.value),
        bySource: sources.map((source) => {
          const value = valueOf(source);
          return value === undefined ? undefined : formatMetric(metric, value);
        }),
      },
    ];
  });
}

export function formatMetric(metric: MetricName, value: number): string {
  return RUN_METRICS[metric].kind === 'duration' ? formatDuration(value) : formatCount(value);
}
