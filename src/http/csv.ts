/**
 * CSV (RFC 4180) that is safe to open in a spreadsheet: fields with commas, quotes or line breaks
 * are quoted, and text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
 * first) is prefixed with `'` so it stays text. Numbers are written as numbers, negatives included.
 */

export type CsvCell = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
