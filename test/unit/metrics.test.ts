import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { aggregateMetrics, metricsOfFetches, normaliseMetrics, normaliseMetricValue, sourceMetrics, type SourceMetrics } from '../../src/metrics/aggregate.js';
import { CONFIGURABLE_METRICS, DEFAULT_METRIC_RULES, type MetricRules } from '../../src/metrics/definitions.js';

const rules = (overrides: Partial<MetricRules> = {}): MetricRules => ({ ...DEFAULT_METRIC_RULES, ...overrides });

/** Three sources, in run order; UPCTM cannot tell failed or ordered_not_running. */
const SOURCES: SourceMetrics[] = [
  { source: 'SPA', metrics: { job_executions: 20_000, failed: 12, ordered_not_running: 40, fetch_duration_ms: 310 } },
  { source: 'UPCTM', metrics: { job_executions: 18_000, fetch_duration_ms: 95 } },
  { source: 'BATCH', metrics: { job_executions: 500, failed: 3, ordered_not_running: 0, fetch_duration_ms: 1200 } },
];

function valueOf(result: ReturnType<typeof aggregateMetrics>, metric: string): number | undefined {
  return result.metrics.find((entry) => entry.metric === metric)?.value;
}

describe('aggregateMetrics', () => {
  it('applies the default rules: counts summed, fetch time the slowest source', () => {
    expect(aggregateMetrics(SOURCES, rules())).toEqual({
      metrics: [
        { metric: 'job_executions', rule: 'sum', value: 38_500 },
        { metric: 'failed', rule: 'sum', value: 15 },
        { metric: 'ordered_not_running', rule: 'sum', value: 40 },
        { metric: 'fetch_duration_ms', rule: 'max', value: 1200 },
      ],
      rejected: [],
    });
  });

  it.each([
    ['sum', 15],
    ['min', 3],
    ['max', 12],
    ['last', 3],
  ] as const)('joins by %s over the sources that reported the metric', (rule, expected) => {
    expect(valueOf(aggregateMetrics(SOURCES, rules({ failed: rule })), 'failed')).toBe(expected);
  });

  it('takes `last` in the run source order, skipping sources that did not report', () => {
    const reordered = [SOURCES[2], SOURCES[0], SOURCES[1]] as SourceMetrics[];
    expect(valueOf(aggregateMetrics(reordered, rules({ failed: 'last', fetch_duration_ms: 'last' })), 'failed')).toBe(12);
    expect(valueOf(aggregateMetrics(reordered, rules({ fetch_duration_ms: 'last' })), 'fetch_duration_ms')).toBe(95);
    expect(valueOf(aggregateMetrics(SOURCES, rules({ fetch_duration_ms: 'min' })), 'fetch_duration_ms')).toBe(95);
  });

  it('always sums job executions, even if handed other rules', () => {
    const tampered = { ...rules(), job_executions: 'max' } as unknown as MetricRules;
    expect(aggregateMetrics(SOURCES, tampered).metrics[0]).toEqual({ metric: 'job_executions', rule: 'sum', value: 38_500 });
  });

  it('leaves out a metric no source reported, and returns nothing for no sources', () => {
    const result = aggregateMetrics([{ source: 'UPCTM', metrics: { job_executions: 5 } }, { source: 'SPA', metrics: {} }], rules());
    expect(result.metrics.map((entry) => entry.metric)).toEqual(['job_executions']);
    expect(aggregateMetrics([], rules())).toEqual({ metrics: [], rejected: [] });
  });

  it('skips invalid values and lists them, joining the valid ones', () => {
    const result = aggregateMetrics(
      [
        { source: 'SPA', metrics: { failed: -1, fetch_duration_ms: Number.NaN } },
        { source: 'UPCTM', metrics: { failed: 2.5, fetch_duration_ms: 40 } },
        { source: 'BATCH', metrics: { failed: '7', ordered_not_running: Number.POSITIVE_INFINITY } as never },
        { source: 'X', metrics: { failed: 4 } },
      ],
      rules(),
    );
    expect(result.metrics).toEqual([
      { metric: 'failed', rule: 'sum', value: 4 },
      { metric: 'fetch_duration_ms', rule: 'max', value: 40 },
    ]);
    expect(result.rejected).toEqual([
      { source: 'SPA', metric: 'failed', reason: 'is negative (-1)' },
      { source: 'UPCTM', metric: 'failed', reason: 'is not a whole number (2.5)' },
      { source: 'BATCH', metric: 'failed', reason: 'is string, expected a number' },
      { source: 'BATCH', metric: 'ordered_not_running', reason: 'is Infinity' },
      { source: 'SPA', metric: 'fetch_duration_ms', reason: 'is NaN' },
    ]);
  });

  it('refuses a sum too large to be exact rather than store a rounded count', () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    const result = aggregateMetrics([{ source: 'A', metrics: { failed: big } }, { source: 'B', metrics: { failed: big } }], rules());
    expect(result.metrics).toEqual([]);
    expect(result.rejected).toEqual([{ metric: 'failed', reason: 'its sum is too large to be exact' }]);
    expect(valueOf(aggregateMetrics([{ source: 'A', metrics: { failed: big } }, { source: 'B', metrics: { failed: big } }], rules({ failed: 'max' })), 'failed')).toBe(big);
  });
});

describe('metric normalisation', () => {
  it('keeps non-negative finite numbers: whole counts, durations rounded to ms, -0 as 0', () => {
    expect(normaliseMetricValue('failed', 0)).toEqual({ value: 0 });
    expect(Object.is((normaliseMetricValue('failed', -0) as { value: number }).value, 0)).toBe(true);
    expect(normaliseMetricValue('fetch_duration_ms', 12.6)).toEqual({ value: 13 });
    expect(normaliseMetricValue('fetch_duration_ms', 0.2)).toEqual({ value: 0 });
    expect(normaliseMetricValue('failed', 3.2)).toEqual({ reason: 'is not a whole number (3.2)' });
    expect(normaliseMetricValue('failed', 2 ** 60)).toEqual({ reason: `is too large to count exactly (${2 ** 60})` });
    expect(normaliseMetricValue('failed', null)).toEqual({ reason: 'is null, expected a number' });
    expect(normaliseMetricValue('fetch_duration_ms', -5)).toEqual({ reason: 'is negative (-5)' });
  });

  it('refuses unknown metric names and a non-object', () => {
    expect(normaliseMetrics({ failed: 2, Failed: 3, avg_wait: 1 })).toEqual({
      values: { failed: 2 },
      rejected: [
        { metric: 'Failed', reason: 'is not a known metric' },
        { metric: 'avg_wait', reason: 'is not a known metric' },
      ],
    });
    expect(normaliseMetrics([1, 2]).rejected).toEqual([{ metric: '(all)', reason: 'metrics are not an object' }]);
    expect(normaliseMetrics(undefined)).toEqual({ values: {}, rejected: [] });
  });

  it('builds a fetch’s metrics from the count and the measured time, which win over the adapter', () => {
    expect(sourceMetrics(1200, { failed: 4, job_executions: 99, fetch_duration_ms: 1 }, 83.4)).toEqual({
      values: { failed: 4, job_executions: 1200, fetch_duration_ms: 83 },
      rejected: [],
    });
    expect(sourceMetrics(7, undefined, 5).values).toEqual({ job_executions: 7, fetch_duration_ms: 5 });
  });

  it('reads fetch job values in the run source order; a value without metrics gives none', () => {
    const fetched = [{ source: 'UPCTM', count: 2, metrics: { job_executions: 2 } }, { source: 'SPA', count: 1 }, 'garbage', null];
    expect(metricsOfFetches(['SPA', 'UPCTM', 'GONE'], fetched)).toEqual([
      { source: 'SPA', metrics: {} },
      { source: 'UPCTM', metrics: { job_executions: 2 } },
      { source: 'GONE', metrics: {} },
    ]);
  });
});

describe('metrics.rules in the config', () => {
  const parse = (rulesConfig: unknown) => parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }], metrics: { port: 9464, rules: rulesConfig } });

  it('defaults every rule and keeps the metrics server settings beside them', () => {
    const config = parseConfig({ sources: [{ name: 'SPA', type: 'static', count: 1 }] });
    expect(config.metrics.rules).toEqual(DEFAULT_METRIC_RULES);
    expect(config.metrics.rules).toMatchObject({ failed: 'sum', ordered_not_running: 'sum', ordered: 'sum', executions: 'sum', fetch_duration_ms: 'max' });
    expect(parse({ failed: 'max' }).metrics).toMatchObject({ port: 9464, rules: { ...DEFAULT_METRIC_RULES, failed: 'max' } });
    expect(parse({ job_executions: 'sum' }).metrics.rules).toEqual(DEFAULT_METRIC_RULES);
  });

  it('names the field and the fix for an unknown rule, an unknown metric, or a job_executions rule', () => {
    const error = (() => {
      try {
        parse({ failed: 'avg', fetch_duration_ms: 3, faild: 'sum', job_executions: 'max' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'metrics.rules.failed', message: 'unknown rule "avg": use sum, min, max or last' },
      { path: 'metrics.rules.fetch_duration_ms', message: 'unknown rule 3: use sum, min, max or last' },
      { path: 'metrics.rules.faild', message: `unknown metric "faild": use ${CONFIGURABLE_METRICS.join(', ')}` },
      { path: 'metrics.rules.job_executions', message: 'job_executions is the license total and is always summed; remove this rule' },
    ]);
  });
});
