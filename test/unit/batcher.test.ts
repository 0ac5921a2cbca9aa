import { describe, expect, it, vi } from 'vitest';
import { Batcher } from '../../src/batcher.js';

/** An execute function whose batches finish when the test says so, recording what it was given. */
function controlledExecute<Item>(answer: (item: Item) => string = String) {
  const batches: Item[][] = [];
  const releases: (() => void)[] = [];
  const execute = (items: Item[]) => {
    batches.push(items);
    return new Promise<string[]>((resolve) => releases.push(() => resolve(items.map(answer))));
  };
  const releaseAll = () => releases.splice(0).forEach((release) => release());
  return { batches, execute, releaseAll };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('sends calls made in one turn of the event loop as one batch and answers each in order', async () => {
    const batcher = new Batcher<number, string>({ execute: (items) => Promise.resolve(items.map((item) => `row ${item}`)) });
    const results = await Promise.all([1, 2, 3].map((item) => batcher.submit(item)));
    expect(results).toEqual(['row 1', 'row 2', 'row 3']);
  });

  it('sends a lone call at once', async () => {
    const control = controlledExecute<number>();
    const batcher = new Batcher<number, string>({ execute: control.execute });
    const result = batcher.submit(7);
    await nextTurn();
    expect(control.batches).toEqual([[7]]);
    control.releaseAll();
    await expect(result).resolves.toBe('7');
  });

  it('queues calls while maxInFlight batches run and sends them together when a batch finishes', async () => {
    const control = controlledExecute<number>();
    const batcher = new Batcher<number, string>({ execute: control.execute, maxInFlight: 1 });
    const first = batcher.submit(1);
    await nextTurn();
    const waiting = [2, 3, 4].map((item) => batcher.submit(item));
    await nextTurn();
    expect(control.batches).toEqual([[1]]);
    control.releaseAll();
    await first;
    await vi.waitFor(() => expect(control.batches).toEqual([[1], [2, 3, 4]]));
    control.releaseAll();
    await expect(Promise.all(waiting)).resolves.toEqual(['2', '3', '4']);
  });

  it('splits at maxBatchSize', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>({
      execute: (items) => {
        sizes.push(items.length);
        return Promise.resolve(items);
      },
      maxBatchSize: 2,
      maxInFlight: 10,
    });
    await Promise.all([1, 2, 3, 4, 5].map((item) => batcher.submit(item)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('retries a failed batch one call at a time, so only the bad call fails', async () => {
    const batcher = new Batcher<number, number>({
      execute: (items) => (items.includes(13) ? Promise.reject(new Error('constraint violated by 13')) : Promise.resolve(items.map((item) => item * 2))),
    });
    const results = await Promise.allSettled([11, 12, 13, 14].map((item) => batcher.submit(item)));
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([22, 24, 'constraint violated by 13', 28]);
  });

  it('never puts two calls with the same key in one statement, and keeps their order', async () => {
    const batches: string[][] = [];
    const batcher = new Batcher<string, string>({
      execute: (items) => {
        batches.push(items);
        return Promise.resolve(items);
      },
      key: (item) => item.split('#')[0] ?? item,
    });
    await Promise.all(['run1#a', 'run2#a', 'run1#b', 'run1#c', 'run3#a'].map((item) => batcher.submit(item)));
    expect(batches).toEqual([['run1#a', 'run2#a', 'run3#a'], ['run1#b'], ['run1#c']]);
  });

  it('treats an answer of the wrong length as a failure of that batch', async () => {
    const batcher = new Batcher<number, number>({ execute: (items) => Promise.resolve(items.length > 1 ? [1] : items) });
    await expect(Promise.all([5, 6].map((item) => batcher.submit(item)))).resolves.toEqual([5, 6]);
    const broken = new Batcher<number, number>({ execute: () => Promise.resolve([]) });
    await expect(broken.submit(1)).rejects.toThrow('a batch of 1 returned 0 results');
  });
});
