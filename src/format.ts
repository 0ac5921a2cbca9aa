/** Human formatting shared by run logs, the CLI and the dashboard. */

const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** `1234567` → `1,234,567`, as `en-US` writes it. */
export function formatCount(value: number): string {
  // Intl costs microseconds a call and pages format hundreds; safe integers are grouped by hand.
  // -0 goes to Intl, which writes it as "-0".
  if (!Number.isSafeInteger(value) || Object.is(value, -0)) return COUNT_FORMAT.format(value);
  return value < 0 ? `-${groupThousands(String(-value))}` : groupThousands(String(value));
}

function groupThousands(digits: string): string {
  const lead = digits.length % 3 || 3;
  let out = digits.slice(0, lead);
  for (let start = lead; start < digits.length; start += 3) out += `,${digits.slice(start, start + 3)}`;
  return out;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

/** A retention age: whole or fractional days from one day up, else a duration. */
export function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  if (days < 1) return formatDuration(ms);
  const rounded = Number.isInteger(days) ? String(days) : days.toFixed(1);
  return `${rounded} ${rounded === '1' ? 'day' : 'days'}`;
}
