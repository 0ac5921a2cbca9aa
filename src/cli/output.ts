/** Plain-text tables for humans; commands print JSON instead with --json. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function formatTime(value: Date | null | undefined): string {
  return value ? value.toISOString().replace('T', ' ').slice(0, 19) : '-';
}
