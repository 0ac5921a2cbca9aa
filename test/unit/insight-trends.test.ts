import { describe, expect, it } from 'vitest';
import { savings, savingGroupOf } from '../../src/insight/savings.js';
import { change, dailyTrends, sourcesOf, topWithChange, type DailyFigure } from '../../src/insight/trends.js';

const figure = (date: string, spa: number, upctm: number): DailyFigure => ({ date, total: spa + upctm, counts: { SPA: spa, UPCTM: upctm } });

describe('changes', () => {
  it('gives absolute and percent changes; no percent from zero; nothing without a base', () => {
    expect(change(110, 100)).toEqual({ absolute: 10, percent: 10 });
    expect(change(90, 100)).toEqual({ absolute: -10, percent: -10 });
    expect(change(5, 0)).toEqual({ absolute: 5, percent: null });
    expect(change(5, undefined)).toBeNull();
  });
});

describe('daily trends', () => {
  it('compares each date with the day before and the same weekday last week, across a year end', () => {
    const figures = [figure('2025-12-26', 100, 50), figure('2026-01-01', 120, 60), figure('2026-01-02', 150, 60)];
    const rows = dailyTrends(figures, '2026-01-01');
    expect(rows.map((row) => [row.date, row.subject])).toEqual([
      ['2026-01-02', 'total'],
      ['2026-01-02', 'SPA'],
      ['2026-01-02', 'UPCTM'],
      ['2026-01-01', 'total'],
      ['2026-01-01', 'SPA'],
      ['2026-01-01', 'UPCTM'],
    ]);
    const [total, spa] = rows;
    expect(total).toEqual({ date: '2026-01-02', subject: 'total', value: 210, dayChange: { absolute: 30, percent: (30 / 180) * 100 }, weekChange: { absolute: 60, percent: 40 } });
    expect(spa).toMatchObject({ value: 150, dayChange: { absolute: 30, percent: 25 }, weekChange: { absolute: 50, percent: 50 } });
    // 2026-01-01 has no 2025-12-31 and no 2025-12-25.
    expect(rows[3]).toMatchObject({ dayChange: null, weekChange: null });
  });

  it('compares across a month end and a leap day', () => {
    const rows = dailyTrends([figure('2024-02-22', 10, 0), figure('2024-02-28', 20, 0), figure('2024-02-29', 30, 0), figure('2024-03-01', 40, 0)], '2024-03-01');
    expect(rows.find((row) => row.subject === 'total')).toMatchObject({ date: '2024-03-01', dayChange: { absolute: 10 }, weekChange: null });
    const leap = dailyTrends([figure('2024-02-22', 10, 0), figure('2024-02-29', 30, 0)], '2024-02-29');
    expect(leap[0]).toMatchObject({ weekChange: { absolute: 20, percent: 200 } });
  });

  it('is empty without figures, and lists a source only where it was counted', () => {
    expect(dailyTrends([], '2026-01-01')).toEqual([]);
    const rows = dailyTrends([{ date: '2026-01-02', total: 5, counts: { NEW: 5 } }, figure('2026-01-01', 1, 2)], '2026-01-01');
    expect(rows.filter((row) => row.date === '2026-01-02').map((row) => row.subject)).toEqual(['total', 'NEW']);
    expect(rows.find((row) => row.subject === 'NEW')?.dayChange).toBeNull();
    expect(sourcesOf([figure('2026-01-01', 1, 2), { date: '2026-01-02', total: 5, counts: { NEW: 5 } }])).toEqual(['NEW', 'SPA', 'UPCTM']);
  });
});

describe('top applications', () => {
  it('takes the biggest, ties by name, with change from the day before', () => {
    const today = new Map([['FIN', 500], ['HR', 300], ['OPS', 300], ['TINY', 1]]);
    const before = new Map([['FIN', 400], ['OPS', 0]]);
    expect(topWithChange(today, before, 3)).toEqual([
      { key: 'FIN', current: 500, previous: 400, change: { absolute: 100, percent: 25 } },
      { key: 'HR', current: 300, previous: undefined, change: null },
      { key: 'OPS', current: 300, previous: 0, change: { absolute: 300, percent: null } },
    ]);
    expect(topWithChange(today, undefined, 1)[0]?.change).toBeNull();
  });
});

describe('units that could be saved', () => {
  it('groups failed and ordered-but-not-running statuses with their share of the total', () => {
    const rows = savings(
      [
        { source: 'SPA', status: 'Ended OK', count: 700 },
        { source: 'SPA', status: 'Ended Not OK', count: 100 },
        { source: 'SPA', status: 'Wait Condition', count: 150 },
        { source: 'UPCTM', status: 'Wait Host', count: 30 },
        { source: 'UPCTM', status: 'wait user', count: 20 },
      ],
      2_000,
    );
    expect(rows).toEqual([
      { group: 'failed', source: undefined, count: 100, share: 0.05 },
      { group: 'failed', source: 'SPA', count: 100, share: 0.05 },
      { group: 'failed', source: 'UPCTM', count: 0, share: 0 },
      { group: 'waiting', source: undefined, count: 200, share: 0.1 },
      { group: 'waiting', source: 'SPA', count: 150, share: 0.075 },
      { group: 'waiting', source: 'UPCTM', count: 50, share: 0.025 },
    ]);
  });

  it('has zero rows without breakdowns and no share of a zero total', () => {
    expect(savings([], 0)).toEqual([
      { group: 'failed', source: undefined, count: 0, share: null },
      { group: 'waiting', source: undefined, count: 0, share: null },
    ]);
    expect(savingGroupOf('Executing')).toBeUndefined();
    expect(savingGroupOf(' Wait Resource ')).toBe('waiting');
  });
});
