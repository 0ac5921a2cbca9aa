/** Small helpers shared by the benchmarks: timing, percentiles, retained memory. */

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((left, right) => left - right);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** Runs `action` `times` times in sequence and returns each duration in ms. */
export async function timeEach(times: number, action: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < times; index++) {
    const started = performance.now();
    await action();
    samples.push(performance.now() - started);
  }
  return samples;
}

export function formatMs(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}

/** A plain-text table with aligned columns. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** RSS has settled once a read 10 ms after the last is down less than 256 KB; at most half a second. */
const RSS_SETTLE_INTERVAL_MS = 10;
const RSS_SETTLE_READS = 50;
const RSS_SETTLED_BYTES = 256 * 1024;

/**
 * RSS and heap in use after a full collection (the process runs with --expose-gc): what it keeps.
 * Read without one, RSS is wherever the heap's sawtooth happens to be (140 to 190 MB for the same
 * worker), which hides growth or invents it. V8 hands the pages a collection freed back to the
 * system on background threads, so RSS read at once still holds some of them (up to 30 MB more,
 * seen here): it is read until it stops falling. The heap in use is what shows a leak.
 */
export async function retainedMemory(): Promise<{ rss: number; heap: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const heap = process.memoryUsage().heapUsed;
  let settled = process.memoryUsage.rss();
  for (let read = 0; read < RSS_SETTLE_READS; read++) {
    await new Promise((resolve) => setTimeout(resolve, RSS_SETTLE_INTERVAL_MS));
    const now = process.memoryUsage.rss();
    if (now > settled - RSS_SETTLED_BYTES) break;
    settled = now;
  }
  return { rss: settled, heap };
}
