import { formatCount } from '../format.js';
import type { Breach, DailyTotal } from '../persistence/runs-repository.js';
import { html, type SafeHtml } from './html.js';

const WIDTH = 900;
const HEIGHT = 260;
const PAD = { left: 60, right: 10, top: 10, bottom: 30 };

/**
 * Daily figures as bars against the limit line, and breach days as red bars of what the refused
 * run counted (the figure of such a day, if any, is the lower one); server-rendered SVG, no script.
 */
export function dailyTotalsChart(figures: readonly DailyTotal[], limit: number, breaches: readonly Breach[] = []): SafeHtml {
  const worst = new Map<string, Breach>();
  for (const breach of breaches) if ((worst.get(breach.businessDate)?.total ?? -1) < breach.total) worst.set(breach.businessDate, breach);
  const figureOf = new Map(figures.map((row) => [row.businessDate, row]));
  const rows = [...new Set([...figureOf.keys(), ...worst.keys()])].sort().map((date) => {
    const breach = worst.get(date);
    const figure = figureOf.get(date);
    return breach ? { businessDate: date, total: breach.total, limit: breach.limit, breach: true } : { businessDate: date, total: figure?.total ?? 0, limit: figure?.limit ?? limit, breach: false };
  });
  if (rows.length === 0) return html`<p>No successful runs in this range.</p>`;
  const top = Math.max(limit, ...rows.map((row) => row.total)) * 1.1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / rows.length;
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  const bars = rows.map((row, index) => {
    const barWidth = Math.max(1, Math.min(slot * 0.8, 40));
    const x = PAD.left + index * slot + (slot - barWidth) / 2;
    const barTop = y(row.total);
    return html`<rect x="${x.toFixed(1)}" y="${barTop.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(PAD.top + plotHeight - barTop).toFixed(1)}" fill="${row.breach || row.total > row.limit ? '#b3261e' : '#3a6ff7'}" class="${row.breach ? 'breach-bar' : 'figure-bar'}"><title>${row.businessDate}: ${row.breach ? `breach, ${formatCount(row.total)} counted over the limit ${formatCount(row.limit)}` : formatCount(row.total)}</title></rect>`;
  });
  const limitY = y(limit).toFixed(1);
  const first = rows[0]?.businessDate ?? '';
  const last = rows.at(-1)?.businessDate ?? '';
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Daily totals against the limit" class="totals-chart">
<line x1="${PAD.left}" y1="${PAD.top + plotHeight}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotHeight}" stroke="#999"/>
${bars}
<line x1="${PAD.left}" y1="${limitY}" x2="${WIDTH - PAD.right}" y2="${limitY}" stroke="#b3261e" stroke-dasharray="6 4" class="limit-line"/>
<text x="${PAD.left - 6}" y="${limitY}" text-anchor="end" font-size="11" fill="#b3261e">${formatCount(limit)}</text>
<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="11">${first}</text>
<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" font-size="11" text-anchor="end">${last}</text>
</svg>`;
}

const SERIES_COLORS = ['#3a6ff7', '#0a8a6a', '#c77700', '#8a3ffc', '#d12771', '#007d79', '#6f6f6f'];
const TOTAL_COLOR = '#1d2330';

export interface TrendSeries {
  name: string;
  /** One value per date of the range, undefined where that date has no figure. */
  values: (number | undefined)[];
}

/** A polyline path that breaks at missing dates rather than drawing through them. */
function linePath(values: readonly (number | undefined)[], x: (index: number) => number, y: (value: number) => number): string {
  let path = '';
  let drawing = false;
  values.forEach((value, index) => {
    if (value === undefined) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)} ${y(value).toFixed(1)} `;
    drawing = true;
  });
  return path.trim();
}

/** A round step (1, 2 or 5 times a power of ten) giving about `count` gridlines up to `top`. */
function gridStep(top: number, count: number): number {
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((factor) => factor * power).find((step) => step >= raw) ?? 10 * power);
}

export interface TrendChartOptions {
  /** The last date is still running (today): its segment is dashed, its figure is so far. */
  lastIsPartial: boolean;
}

/**
 * Daily figures of the total and of each source as lines over the date range, against the limit;
 * each point carries its date and value as a tooltip. Server-rendered SVG, no script.
 */
export function sourceTrendsChart(dates: readonly string[], series: readonly TrendSeries[], limit: number, options: TrendChartOptions): SafeHtml {
  const values = series.flatMap((line) => line.values.filter((value): value is number => value !== undefined));
  if (dates.length === 0 || values.length === 0) return html`<p>No successful runs in this range.</p>`;
  const top = Math.max(limit, ...values) * 1.1;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const axisY = PAD.top + plotHeight;
  const x = (index: number) => PAD.left + (dates.length === 1 ? plotWidth / 2 : (index / (dates.length - 1)) * plotWidth);
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
  const colorOf = (index: number, name: string) => (name === 'total' ? TOTAL_COLOR : (SERIES_COLORS[index % SERIES_COLORS.length] as string));
  const solidUntil = options.lastIsPartial ? dates.length - 1 : dates.length;
  const lines = series.map((line, index) => {
    const color = colorOf(index, line.name);
    const width = line.name === 'total' ? 2.5 : 1.8;
    const last = line.values.at(-1);
    const beforeLast = line.values.at(-2);
    const tail =
      options.lastIsPartial && last !== undefined && beforeLast !== undefined && dates.length > 1
        ? html`<path d="M${x(dates.length - 2).toFixed(1)} ${y(beforeLast).toFixed(1)} L${x(dates.length - 1).toFixed(1)} ${y(last).toFixed(1)}" fill="none" stroke="${color}" stroke-width="${width}" stroke-dasharray="4 3"/>`
        : '';
    const points = line.values.map((value, at) =>
      value === undefined ? '' : html`<circle cx="${x(at).toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${color}"><title>${line.name} ${dates[at] ?? ''}${options.lastIsPartial && at === dates.length - 1 ? ' (so far)' : ''}: ${formatCount(value)}</title></circle>`,
    );
    return html`<g class="series" data-series="${line.name}"><path d="${linePath(line.values.slice(0, solidUntil), x, y)}" fill="none" stroke="${color}" stroke-width="${width}"/>${tail}${points}</g>`;
  });
  const legend = series.map((line, index) => html`<span class="legend-item"><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${colorOf(index, line.name)}"/></svg>${line.name}</span>`);
  const step = gridStep(top, 5);
  const grid = Array.from({ length: Math.floor(top / step) }, (_, index) => (index + 1) * step)
    .filter((value) => Math.abs(y(value) - y(limit)) > 12)
    .map((value) => html`<line x1="${PAD.left}" y1="${y(value).toFixed(1)}" x2="${WIDTH - PAD.right}" y2="${y(value).toFixed(1)}" stroke="#eceef3"/><text x="${PAD.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#667">${formatCount(value)}</text>`);
  const tickEvery = Math.max(1, Math.ceil(dates.length / 8));
  const ticks = dates.map((date, index) => {
    const edge = index === 0 || index === dates.length - 1;
    if (!edge && (index % tickEvery !== 0 || dates.length - 1 - index < tickEvery / 2)) return '';
    const anchor = index === 0 ? 'start' : index === dates.length - 1 ? 'end' : 'middle';
    return html`<line x1="${x(index).toFixed(1)}" y1="${axisY}" x2="${x(index).toFixed(1)}" y2="${axisY + 4}" stroke="#999"/><text x="${x(index).toFixed(1)}" y="${HEIGHT - 8}" font-size="11" text-anchor="${anchor}">${edge ? date : date.slice(5)}</text>`;
  });
  const limitY = y(limit).toFixed(1);
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Daily figures of the total and of each source" id="trend-chart">
${grid}
<line x1="${PAD.left}" y1="${axisY}" x2="${WIDTH - PAD.right}" y2="${axisY}" stroke="#999"/>
<text x="${PAD.left - 6}" y="${axisY + 4}" text-anchor="end" font-size="11" fill="#667">0</text>
<line x1="${PAD.left}" y1="${limitY}" x2="${WIDTH - PAD.right}" y2="${limitY}" stroke="#b3261e" stroke-dasharray="6 4" id="trend-limit-line"/>
<text x="${PAD.left - 6}" y="${(Number(limitY) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#b3261e">${formatCount(limit)}</text>
${lines}
${ticks}
</svg>
<p class="legend">${legend}${options.lastIsPartial ? html`<span class="legend-item muted">dashed: today so far</span>` : ''}</p>`;
}
