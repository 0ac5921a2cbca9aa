import { describe, expect, it } from 'vitest';
import { seededUniform } from '../../src/sources/static.js';
import { fetchContext, sourceFromConfig } from './support.js';

describe('static source', () => {
  it('answers its fixed count', async () => {
    await expect(sourceFromConfig({ type: 'static', count: 7 }).fetchCount(fetchContext())).resolves.toEqual({ count: 7 });
  });

  it('repeats the same random sequence for the same seed, within bounds', async () => {
    const draw = async () => {
      const source = sourceFromConfig({ type: 'static', random: { min: 100, max: 200, seed: 42 } });
      const counts: number[] = [];
      for (let index = 0; index < 50; index++) counts.push((await source.fetchCount(fetchContext())).count);
      return counts;
    };
    const first = await draw();
    expect(await draw()).toEqual(first);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...first)).toBeLessThanOrEqual(200);
    expect(new Set(first).size).toBeGreaterThan(10);
  });

  it('spreads the seeded generator over [0, 1)', () => {
    const next = seededUniform(1);
    const values = Array.from({ length: 10_000 }, next);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(values.reduce((sum, value) => sum + value, 0) / values.length).toBeCloseTo(0.5, 1);
  });

  it('can be cancelled during its simulated delay', async () => {
    const source = sourceFromConfig({ type: 'static', count: 1, delayMs: 60_000 });
    const cancel = new AbortController();
    const pending = source.fetchCount(fetchContext(cancel.signal));
    cancel.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });
});
