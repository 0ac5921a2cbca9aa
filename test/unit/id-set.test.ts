import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/sources/id-set.js';

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

describe('IdSet', () => {
  it('holds exactly what a Set<string> holds, through many resizes (ASCII, multi-byte, long and empty ids)', () => {
    const next = random(33);
    const alphabet = ['a', 'b', ':', '0', '9', 'é', '✓', '𝄞', '\u0000'];
    const ids = Array.from({ length: 30_000 }, (_, index) => {
      if (index % 100 === 0) return 'x'.repeat(100 + Math.floor(next() * 3000));
      const length = Math.floor(next() * 8);
      return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)] ?? '').join('');
    });
    const compact = new IdSet();
    const reference = new Set<string>();
    const disagreements: string[] = [];
    for (const id of ids) {
      if (compact.has(id) !== reference.has(id)) disagreements.push(`has ${id}`);
      if (compact.add(id) === reference.has(id)) disagreements.push(`add ${id}`);
      reference.add(id);
    }
    for (const id of reference) if (!compact.has(id)) disagreements.push(`lost ${id}`);
    expect(disagreements).toEqual([]);
    expect(compact.size).toBe(reference.size);
    for (const id of ['never', 'a'.repeat(9), 'é'.repeat(9), 'x'.repeat(99)]) expect(compact.has(id), id).toBe(reference.has(id));
  });

  it('tells apart ids that differ only in length or in one late byte', () => {
    const compact = new IdSet();
    const long = `ctm01:${'0'.repeat(200)}`;
    for (const id of ['', 'ctm01:0004f', 'ctm01:0004f0', long, `${long}1`]) expect(compact.add(id), id).toBe(true);
    for (const id of ['', 'ctm01:0004f', 'ctm01:0004f0', long, `${long}1`]) expect(compact.add(id), id).toBe(false);
    expect(compact.has('ctm01:0004')).toBe(false);
    expect(compact.has(`${long}2`)).toBe(false);
    expect(compact.size).toBe(5);
  });

  it('keeps an id too long for its pages too', () => {
    const compact = new IdSet();
    const huge = 'é'.repeat(20_000);
    expect(compact.add(huge)).toBe(true);
    expect(compact.add(huge)).toBe(false);
    expect(compact.has(huge)).toBe(true);
    expect(compact.has(huge.slice(1))).toBe(false);
    expect(compact.add('short')).toBe(true);
    expect(compact.size).toBe(2);
  });
});
