import { describe, expect, it } from 'vitest';
import { IdMap } from '../../src/sources/id-map.js';

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IdMap', () => {
  it('holds exactly what a Map<string, number> holds, through many resizes (ASCII, multi-byte, long and empty ids)', () => {
    const next = random(33);
    const alphabet = ['a', 'b', ':', '0', '9', 'é', '✓', '𝄞', '\u0000'];
    const ids = Array.from({ length: 30_000 }, (_, index) => {
      if (index % 100 === 0) return 'x'.repeat(100 + Math.floor(next() * 3000));
      const length = Math.floor(next() * 8);
      return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)] ?? '').join('');
    });
    const compact = new IdMap();
    const reference = new Map<string, number>();
    const disagreements: string[] = [];
    ids.forEach((id, index) => {
      if (compact.get(id) !== reference.get(id)) disagreements.push(`get ${id}`);
      // Values as large as packed runs and profiles get (2^52), and rewritten ones.
      const value = index % 3 === 0 ? index * 2 ** 20 + 17 : index;
      compact.set(id, value);
      reference.set(id, value);
    });
    for (const [id, value] of reference) if (compact.get(id) !== value) disagreements.push(`lost ${id}`);
    expect(disagreements).toEqual([]);
    expect(compact.size).toBe(reference.size);
    for (const id of ['never', 'a'.repeat(9), 'é'.repeat(9), 'x'.repeat(99)]) expect(compact.get(id), id).toBe(reference.get(id));
  });

  it('tells apart ids that differ only in length or in one late byte', () => {
    const compact = new IdMap();
    const long = `ctm01:${'0'.repeat(200)}`;
    const ids = ['', 'ctm01:0004f', 'ctm01:0004f0', long, `${long}1`];
    ids.forEach((id, index) => compact.set(id, index));
    ids.forEach((id, index) => expect(compact.get(id), id).toBe(index));
    expect(compact.has('ctm01:0004')).toBe(false);
    expect(compact.has(`${long}2`)).toBe(false);
    expect(compact.size).toBe(5);
  });

  it('keeps an id too long for its pages too', () => {
    const compact = new IdMap();
    const huge = 'é'.repeat(20_000);
    compact.set(huge, 1).set(huge, 2).set('short', 3);
    expect(compact.get(huge)).toBe(2);
    expect(compact.has(huge.slice(1))).toBe(false);
    expect(compact.size).toBe(2);
  });
});
