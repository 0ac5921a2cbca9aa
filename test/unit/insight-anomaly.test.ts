import { describe, expect, it } from 'vitest';
import { describeAnomaly, findAnomalies, formatRatio, hourLabel, type AnomalyRules } from '../../src/insight/anomaly.js';

const RULES: AnomalyRules = { k: 5, minHistory: 7, madFloorPercent: 1, madFloorCount: 1 };

/** 14 runs with SPA around 20,000 and UPCTM around 10,000 (ratio about 2). */
const history = Array.from({ length: 14 }, (_, index) => ({ SPA: 20_000 + ((index * 37) % 200) - 100, UPCTM: 10_000 + ((index * 53) % 100) - 50 }));

describe('anomalies', () => {
  it('finds nothing for an ordinary run', () => {
    expect(findAnomalies({ SPA: 20_050, UPCTM: 9_990 }, history, RULES)).toEqual([]);
  });

  it('flags a count far outside the usual band, with the band and history size', () => {
    const [anomaly, ...rest] = findAnomalies({ SPA: 41_000, UPCTM: 10_000 }, history, RULES);
    expect(rest).toEqual([]);
    expect(anomaly).toMatchObject({ kind: 'count', subject: 'SPA', value: 41_000, history: 14 });
    expect(anomaly!.low).toBeLessThan(20_000);
    expect(anomaly!.high).toBeGreaterThan(20_000);
    expect(anomaly!.high).toBeLessThan(41_000);
  });

  it('flags a drop to zero', () => {
    expect(findAnomalies({ SPA: 20_000, UPCTM: 0 }, history, RULES)).toMatchObject([{ kind: 'count', subject: 'UPCTM', value: 0, low: expect.any(Number) }]);
  });

  it('judges nothing with an empty or short history', () => {
    expect(findAnomalies({ SPA: 1_000_000, UPCTM: 0 }, [], RULES)).toEqual([]);
    expect(findAnomalies({ SPA: 1_000_000, UPCTM: 0 }, history.slice(0, 6), RULES)).toEqual([]);
    expect(findAnomalies({ SPA: 1_000_000, UPCTM: 10_000 }, history.slice(0, 7), RULES)).toHaveLength(1);
  });

  it('does not alert on +1 over a flat history, but does on a real jump', () => {
    const flat = Array.from({ length: 14 }, () => ({ SPA: 500, UPCTM: 500 }));
    expect(findAnomalies({ SPA: 501, UPCTM: 500 }, flat, RULES)).toEqual([]);
    // floor: 1% of 500 = 5 per MAD, band 500 ± 25
    expect(findAnomalies({ SPA: 525, UPCTM: 500 }, flat, RULES)).toEqual([]);
    expect(findAnomalies({ SPA: 526, UPCTM: 500 }, flat, RULES)).toMatchObject([{ subject: 'SPA', low: 475, high: 525 }]);
    const tiny = Array.from({ length: 14 }, () => ({ SPA: 0, UPCTM: 3 }));
    expect(findAnomalies({ SPA: 1, UPCTM: 4 }, tiny, RULES)).toEqual([]);
  });

  it('flags two sources that disagree with their usual ratio while each looks plausible', () => {
    // Each source moves by ~12%: inside its own band (history MAD is wide), but the ratio of two
    // sources that always move together is tight.
    const together = Array.from({ length: 14 }, (_, index) => {
      const level = 10_000 + index * 1_000;
      return { SPA: level * 2, UPCTM: level };
    });
    const found = findAnomalies({ SPA: 30_000, UPCTM: 18_000 }, together, RULES);
    expect(found).toMatchObject([{ kind: 'ratio', subject: 'SPA/UPCTM', median: 2, history: 14 }]);
    expect(found[0]!.value).toBeCloseTo(1.667, 3);
  });

  it('reports one unusual source once, not again in every ratio it belongs to', () => {
    const three = history.map((counts) => ({ ...counts, ZED: 5_000 }));
    const found = findAnomalies({ SPA: 20_000, UPCTM: 10_000, ZED: 50_000 }, three, RULES);
    expect(found.map((anomaly) => anomaly.subject)).toEqual(['ZED']);
  });

  it('ignores history runs that lack a source (added later) when judging it', () => {
    const mixed = [...history.slice(0, 10), ...Array.from({ length: 4 }, () => ({ SPA: 20_000 }))];
    expect(findAnomalies({ SPA: 20_000, UPCTM: 10_000 }, mixed, RULES)).toEqual([]);
    expect(findAnomalies({ SPA: 20_000, NEW: 5 }, history, RULES)).toEqual([]);
  });

  it('skips a ratio whose second source counted zero', () => {
    const found = findAnomalies({ SPA: 20_000, UPCTM: 0 }, history, { ...RULES, k: 1_000_000 });
    expect(found).toEqual([]);
  });
});

describe('anomaly wording', () => {
  it('explains a count in plain words: value, expected range, history size', () => {
    const text = describeAnomaly({ kind: 'count', subject: 'SPA', value: 41_000, median: 20_000, low: 19_499.5, high: 20_500.5, history: 14 }, hourLabel(14));
    expect(text).toBe('Unusual count: SPA counted 41,000 job executions, far above the expected 19,500–20,500 (median 20,000 of the last 14 successful runs at 14:00–15:00).');
  });

  it('rounds the median of a count to a whole number (an even history has a median between two runs)', () => {
    const text = describeAnomaly({ kind: 'count', subject: 'UPCTM', value: 3_204, median: 2_678.5, low: 2_493.5, high: 2_863.5, history: 14 }, hourLabel(8));
    expect(text).toBe('Unusual count: UPCTM counted 3,204 job executions, far above the expected 2,494–2,863 (median 2,679 of the last 14 successful runs at 08:00–09:00).');
  });

  it('explains a ratio', () => {
    const text = describeAnomaly({ kind: 'ratio', subject: 'SPA/UPCTM', value: 1.6667, median: 2, low: 1.9, high: 2.1, history: 9 }, hourLabel(23));
    expect(text).toBe('Unusual ratio: SPA and UPCTM disagree; SPA/UPCTM is 1.67, far below the expected 1.9–2.1 (median 2 of the last 9 successful runs at 23:00–00:00).');
  });

  it('formats ratios to three significant digits', () => {
    expect(formatRatio(2)).toBe('2');
    expect(formatRatio(0.000_150_4)).toBe('0.00015');
    expect(formatRatio(123.456)).toBe('123');
  });
});
