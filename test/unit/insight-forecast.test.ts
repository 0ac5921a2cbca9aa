import { describe, expect, it } from 'vitest';
import { forecastDay, type DayCurve, type ForecastInput } from '../../src/insight/forecast.js';

const HOUR = 3600;
const BASE: Omit<ForecastInput, 'latest' | 'history'> = { limit: 48_500, minFraction: 0.05, minLinearSeconds: 2 * HOUR };

/** A day counted every hour from 01:00 to 24:00, reaching `final` with a linear ramp. */
function linearDay(date: string, final: number): DayCurve {
  return { date, points: Array.from({ length: 24 }, (_, index) => ({ secondOfDay: (index + 1) * HOUR - 1, total: Math.round((final * (index + 1)) / 24) })) };
}

/** A business-hours day: nothing before 08:00, half by noon, all by 18:00. */
function officeDay(date: string, final: number): DayCurve {
  return {
    date,
    points: [
      { secondOfDay: 8 * HOUR, total: Math.round(final * 0.1) },
      { secondOfDay: 12 * HOUR, total: Math.round(final * 0.5) },
      { secondOfDay: 15 * HOUR, total: Math.round(final * 0.8) },
      { secondOfDay: 18 * HOUR, total: final },
    ],
  };
}

describe('end-of-day forecast', () => {
  it('has nothing to project before today’s first successful count', () => {
    expect(forecastDay({ ...BASE, latest: undefined, history: [officeDay('2026-01-01', 40_000)] })).toMatchObject({ method: 'none', projected: null, basis: 'no successful count today yet' });
  });

  it('with no earlier day: nothing too early, then the pace so far extrapolated to midnight', () => {
    expect(forecastDay({ ...BASE, latest: { secondOfDay: HOUR, total: 5_000 }, history: [] })).toMatchObject({ method: 'none', projected: null, crossingSecond: null });
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 6 * HOUR, total: 6_000 }, history: [] });
    expect(forecast).toMatchObject({ method: 'linear', total: 6_000, projected: 24_000, crossingSecond: null, days: 0 });
    expect(forecast.basis).toMatch(/no earlier days/);
  });

  it('with no earlier day, a fast pace crosses the limit when the pace says', () => {
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 6 * HOUR, total: 24_250 }, history: [] });
    expect(forecast).toMatchObject({ method: 'linear', projected: 97_000 });
    expect(forecast.crossingSecond).toBe(12 * HOUR);
  });

  it('with one earlier day, scales today by the share that day had reached', () => {
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 22_000 }, history: [officeDay('2026-01-01', 40_000)] });
    expect(forecast).toMatchObject({ method: 'curve', projected: 44_000, fraction: 0.5, days: 1, crossingSecond: null });
  });

  it('with many days, uses the median share (one odd day does not skew it)', () => {
    const history = [officeDay('2026-01-01', 40_000), officeDay('2026-01-02', 30_000), officeDay('2026-01-03', 42_000), { date: '2026-01-04', points: [{ secondOfDay: 11 * HOUR, total: 35_000 }, { secondOfDay: 18 * HOUR, total: 36_000 }] }];
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR + 600, total: 20_000 }, history });
    expect(forecast).toMatchObject({ method: 'curve', fraction: 0.5, days: 4, projected: 40_000 });
    expect(forecast.basis).toBe('by this time, the last 4 days had reached a median 50.0% of their final figure');
  });

  it('tells when the limit will be crossed, interpolating along the usual curve', () => {
    // Today 30,000 at noon (50%): projected 60,000. The curve reaches 80% (48,000) at 15:00 and
    // 100% (60,000) at 18:00: 48,500 is crossed 1/24 of the way, at 15:07:30.
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 30_000 }, history: [officeDay('2026-01-01', 40_000), officeDay('2026-01-02', 44_000)] });
    expect(forecast).toMatchObject({ method: 'curve', projected: 60_000 });
    expect(forecast.crossingSecond).toBeCloseTo(15 * HOUR + 450, 6);
  });

  it('finds a crossing between now and the next point of the curve', () => {
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 48_000 }, history: [officeDay('2026-01-01', 40_000)] });
    // 48,000 now → 76,800 at 15:00: 48,500 after 500/28,800 of three hours.
    expect(forecast.crossingSecond).toBeCloseTo(12 * HOUR + (500 / 28_800) * 3 * HOUR, 6);
  });

  it('says no crossing when the projection stays within the limit, and a total equal to the limit is not over', () => {
    const forecast = forecastDay({ ...BASE, limit: 44_000, latest: { secondOfDay: 12 * HOUR, total: 22_000 }, history: [officeDay('2026-01-01', 40_000)] });
    expect(forecast).toMatchObject({ projected: 44_000, crossingSecond: null });
  });

  it('falls back to the pace when earlier days had not started by this time', () => {
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 6 * HOUR, total: 3_000 }, history: [officeDay('2026-01-01', 40_000)] });
    expect(forecast).toMatchObject({ method: 'linear', projected: 12_000 });
    expect(forecast.basis).toMatch(/earlier days tell too little/);
  });

  it('falls back when the usual share by now is too small to divide by', () => {
    const early = { date: '2026-01-01', points: [{ secondOfDay: HOUR, total: 10 }, { secondOfDay: 20 * HOUR, total: 40_000 }] };
    expect(forecastDay({ ...BASE, latest: { secondOfDay: 3 * HOUR, total: 100 }, history: [early] })).toMatchObject({ method: 'linear', projected: 800 });
  });

  it('ignores earlier days that ended at zero and never projects below today’s total', () => {
    expect(forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 1_000 }, history: [{ date: '2026-01-01', points: [{ secondOfDay: 10 * HOUR, total: 0 }] }] })).toMatchObject({ method: 'linear' });
    // A day whose count went down later (a source that reset): its share by now is above 100%.
    const shrinking = { date: '2026-01-01', points: [{ secondOfDay: 10 * HOUR, total: 2_000 }, { secondOfDay: 20 * HOUR, total: 1_000 }] };
    expect(forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 1_500 }, history: [shrinking] })).toMatchObject({ method: 'curve', projected: 1_500 });
  });

  it('accepts points in any order', () => {
    const day = officeDay('2026-01-01', 40_000);
    const shuffled = { ...day, points: [...day.points].reverse() };
    expect(forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR, total: 22_000 }, history: [shuffled] }).projected).toBe(44_000);
  });

  it('follows an even curve over a whole day', () => {
    const history = ['2026-01-01', '2026-01-02', '2026-01-03'].map((date) => linearDay(date, 48_000));
    const forecast = forecastDay({ ...BASE, latest: { secondOfDay: 12 * HOUR - 1, total: 25_000 }, history });
    expect(forecast.method).toBe('curve');
    expect(forecast.projected).toBe(50_000);
    expect(forecast.crossingSecond).toBeGreaterThan(23 * HOUR);
    expect(forecast.crossingSecond).toBeLessThan(24 * HOUR);
  });
});
