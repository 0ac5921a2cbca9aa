/**
 * Coalesces concurrent calls into one batch: a multi-row SQL statement, or one Redis MULTI for
 * flows. Under load, 20 workers finishing jobs share one parse, plan and commit (or one round
 * trip) instead of paying for 20; a lone call goes out at once (on the next turn of the event
 * loop), so an idle system gets no added latency.
 *
 * Calls wait while `maxInFlight` batches run and then go out together, at most `maxBatchSize` at a
 * time. A failing batch is retried one call at a time, in order, so one bad call never fails the
 * others.
 */
export interface BatcherOptions<Item, Result> {
  /** Runs one batch; must return one result per item, in the same order. */
  execute(items: Item[]): Promise<Result[]>;
  /**
   * Items with the same key never share a batch (one statement cannot change a row twice):
   * repeats run after the first, in the order they were submitted.
   */
  key?: (item: Item) => string;
  maxBatchSize?: number;
  maxInFlight?: number;
}

interface Pending<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class Batcher<Item, Result> {
  private readonly queue: Pending<Item, Result>[] = [];
  private inFlight = 0;
  private flushScheduled = false;
  private readonly maxBatchSize: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: BatcherOptions<Item, Result>) {
    this.maxBatchSize = options.maxBatchSize ?? 100;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: calls made by other I/O callbacks of this loop turn join in.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.scheduleFlush();
      });
    }
  }

  private async run(batch: Pending<Item, Result>[]): Promise<void> {
    for (const round of this.rounds(batch)) await this.runRound(round);
  }

  /** Splits a batch so that no two items in one round have the same key. */
  private rounds(batch: Pending<Item, Result>[]): Pending<Item, Result>[][] {
    const key = this.options.key;
    if (!key) return [batch];
    const rounds: Pending<Item, Result>[][] = [];
    const seen = new Map<string, number>();
    for (const entry of batch) {
      const itemKey = key(entry.item);
      const round = seen.get(itemKey) ?? 0;
      seen.set(itemKey, round + 1);
      (rounds[round] ??= []).push(entry);
    }
    return rounds;
  }

  private async runRound(batch: Pending<Item, Result>[]): Promise<void> {
    try {
      const results = await this.options.execute(batch.map((entry) => entry.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((entry, index) => entry.resolve(results[index] as Result));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // In submission order, so lines of one run keep their order even on this slow path.
      for (const entry of batch) await this.runRound([entry]);
    }
  }
}
