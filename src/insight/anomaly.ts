import { formatCount } from '../format.js';
import { isOutside, median, robustRange, type RobustRange } from './robust.js';

/**
 * Anomalies of one successful run against the recent history of its client at the same hour of
 * day (pure): each source's count, and the ratio of every two sources, must stay within
 * `median ± k · MAD` of that history.
 */

export interface AnomalyRules {
  /** Half-width of the normal band, in MADs. */
  k: number;
  /** Fewer history runs than this and nothing is judged: too little to know what is normal. */
  minHistory: number;
  /** The MAD used is at least this percentage of the median… */
  madFloorPercent: number;
  /** …and at least this many job executions (for ratios: that many of the second source). */
  madFloorCount: number;
}

export type AnomalyKind = 'count' | 'ratio';

export interface Anomaly {
  kind: AnomalyKind;
  /** The source (`SPA`) for a count, `SPA/UPCTM` for a ratio. */
  subject: string;
  value: number;
  median: number;
  /** The normal band; a value exactly on an edge is normal. */
  low: number;
  high: number;
  /** How many history runs the band was built from. */
  history: number;
}

export type CountsBySource = Readonly<Record<string, number>>;

function valuesOf(history: readonly CountsBySource[], source: string): number[] {
  const values: number[] = [];
  for (const counts of history) {
    const value = counts[source];
    if (typeof value === 'number') values.push(value);
  }
  return values;
}

function anomalyFrom(kind: AnomalyKind, subject: string, value: number, range: RobustRange): Anomaly {
  // Counts and ratios are never negative: a band reaching below zero is cut at zero.
  return { kind, subject, value, median: range.median, low: Math.max(0, range.low), high: range.high, history: range.size };
}

/**
 * `current` is the run's count per source, `history` the per-source counts of earlier successful
 * runs (any order). A ratio is only reported when neither of its sources is unusual on its own:
 * one source going wild is one finding, not one per pair it belongs to.
 */
export function findAnomalies(current: CountsBySource, history: readonly CountsBySource[], rules: AnomalyRules): Anomaly[] {
  const sources = Object.keys(current).sort();
  const found: Anomaly[] = [];
  const unusual = new Set<string>();
  for (const source of sources) {
    const value = current[source] as number;
    const values = valuesOf(history, source);
    if (values.length < rules.minHistory) continue;
    const center = median(values) ?? 0;
    const range = robustRange(values, rules.k, Math.max(rules.madFloorCount, (Math.abs(center) * rules.madFloorPercent) / 100));
    if (range && isOutside(value, range)) {
      found.push(anomalyFrom('count', source, value, range));
      unusual.add(source);
    }
  }
  sources.forEach((first, index) => {
    for (const second of sources.slice(index + 1)) {
      if (unusual.has(first) || unusual.has(second)) continue;
      const anomaly = ratioAnomaly(first, second, current, history, rules);
      if (anomaly) found.push(anomaly);
    }
  });
  return found;
}

function ratioAnomaly(first: string, second: string, current: CountsBySource, history: readonly CountsBySource[], rules: AnomalyRules): Anomaly | undefined {
  const denominator = current[second] as number;
  if (denominator <= 0) return undefined;
  const pairs = history.filter((counts) => typeof counts[first] === 'number' && (counts[second] ?? 0) > 0);
  if (pairs.length < rules.minHistory) return undefined;
  const ratios = pairs.map((counts) => (counts[first] as number) / (counts[second] as number));
  const center = median(ratios) ?? 0;
  const typicalSecond = median(pairs.map((counts) => counts[second] as number)) ?? 1;
  // One job execution of `first` more or less must never be enough to call the ratio unusual.
  const floor = Math.max((Math.abs(center) * rules.madFloorPercent) / 100, rules.madFloorCount / typicalSecond);
  const range = robustRange(ratios, rules.k, floor);
  const value = (current[first] as number) / denominator;
  return range && isOutside(value, range) ? anomalyFrom('ratio', `${first}/${second}`, value, range) : undefined;
}

export function formatRatio(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/**
 * One plain sentence for the run log and alerts. Count bands are rounded inwards, so for a whole
 * count "outside a–b" is exactly what was tested.
 */
export function describeAnomaly(anomaly: Anomaly, hourLabel: string): string {
  const direction = anomaly.value > anomaly.high ? 'far above' : 'far below';
  const basis = `median ${anomaly.kind === 'count' ? formatCount(Math.round(anomaly.median)) : formatRatio(anomaly.median)} of the last ${anomaly.history} successful runs at ${hourLabel}`;
  if (anomaly.kind === 'count') {
    const band = `${formatCount(Math.ceil(anomaly.low))}–${formatCount(Math.floor(anomaly.high))}`;
    return `Unusual count: ${anomaly.subject} counted ${formatCount(anomaly.value)} job executions, ${direction} the expected ${band} (${basis}).`;
  }
  const [first = '', second = ''] = anomaly.subject.split('/');
  const band = `${formatRatio(anomaly.low)}–${formatRatio(anomaly.high)}`;
  return `Unusual ratio: ${first} and ${second} disagree; ${first}/${second} is ${formatRatio(anomaly.value)}, ${direction} the expected ${band} (${basis}).`;
}

/** `14:00–15:00`: the hour of day a run's history is taken from. */
export function hourLabel(hour: number): string {
  const pad = (value: number) => String(value % 24).padStart(2, '0');
  return `${pad(hour)}:00–${pad(hour + 1)}:00`;
}
