import { setTimeout as delay } from 'node:timers/promises';
import type { StaticSourceConfig } from '../config/load.js';
import { formatCount } from '../format.js';
import type { CountSource, FetchContext, SourceFetchResult } from './types.js';

/** A fixed or random count, for demos and tests; a seed makes the random sequence repeatable. */
export class StaticSource implements CountSource {
  readonly type = 'static';
  readonly countsPastDates = true;
  readonly name: string;
  readonly #next: () => number;

  constructor(private readonly config: StaticSourceConfig) {
    this.name = config.name;
    const { count, random } = config;
    if (random) {
      const uniform = random.seed === undefined ? Math.random : seededUniform(random.seed);
      this.#next = () => random.min + Math.floor(uniform() * (random.max - random.min + 1));
    } else {
      this.#next = () => count ?? 0;
    }
  }

  describe(): string {
    const { count, random } = this.config;
    if (random) return `random count ${formatCount(random.min)}-${formatCount(random.max)}${random.seed === undefined ? '' : ` (seed ${random.seed})`}`;
    return `fixed count ${formatCount(count ?? 0)}`;
  }

  async fetchCount(context: FetchContext): Promise<SourceFetchResult> {
    if (this.config.delayMs > 0) await delay(this.config.delayMs, undefined, { signal: context.signal });
    return { count: this.#next() };
  }
}

/** mulberry32: a tiny, well-known 32-bit PRNG; plenty for demo counts. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
